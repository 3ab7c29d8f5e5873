//! 32-bit Arm ELF (`EM_ARM`, EABI version 5) back into the model: the relocation types and
//! the addends GNU as keeps in the fields (REL), inside instructions too; the float ABI of
//! `e_flags`; the exception index tables' `sh_link`, which the writer derives from their
//! names.

use objforge::{FloatAbi, RelocKind};

/// `e_flags`: the EABI version mask and version 5.
const EF_ARM_EABIMASK: u32 = 0xff00_0000;
const EF_ARM_EABI_VER5: u32 = 0x0500_0000;
const EF_ARM_ABI_FLOAT_SOFT: u32 = 0x200;
const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;

/// `SHT_ARM_EXIDX`: an exception index table.
pub const SHT_ARM_EXIDX: u32 = 0x7000_0001;
/// `SHT_ARM_ATTRIBUTES`: build attributes.
pub const SHT_ARM_ATTRIBUTES: u32 = 0x7000_0003;

/// The float ABI `e_flags` states, and a note when it states none (GCC's default for the
/// configured ABI: GNU as then writes neither flag, and the build attributes say it; see
/// [`vfp_args`]); or why objforge cannot write these flags.
pub fn float_abi(flags: u32) -> Result<(FloatAbi, Option<String>), String> {
    let known = EF_ARM_EABIMASK | EF_ARM_ABI_FLOAT_SOFT | EF_ARM_ABI_FLOAT_HARD;
    if flags & EF_ARM_EABIMASK != EF_ARM_EABI_VER5 || flags & !known != 0 {
        return Err(format!(
            "ELF header flags {flags:#x}: objforge writes EABI version 5 (0x5000000) with the soft- or hard-float flag"
        ));
    }
    Ok(
        match (
            flags & EF_ARM_ABI_FLOAT_SOFT != 0,
            flags & EF_ARM_ABI_FLOAT_HARD != 0,
        ) {
            (true, false) => (FloatAbi::Soft, None),
            (false, true) => (FloatAbi::Double, None),
            (false, false) => (
                FloatAbi::Double,
                Some("the ELF header names no float ABI (GNU as leaves it to .ARM.attributes): the spec says hard-float, which the rebuilt header states (EF_ARM_ABI_FLOAT_HARD); use the triple arm-unknown-linux-gnueabi for soft-float code".to_string()),
            ),
            (true, true) => {
                return Err(format!(
                    "ELF header flags {flags:#x} state both the soft- and the hard-float ABI"
                ))
            }
        },
    )
}

/// Whether the ELF header's flags state the float ABI (objforge always does; GNU as leaves
/// it to the attributes).
pub fn float_abi_stated(flags: u32) -> bool {
    flags & (EF_ARM_ABI_FLOAT_SOFT | EF_ARM_ABI_FLOAT_HARD) != 0
}

/// `Tag_ABI_VFP_args` (28) of the `aeabi` file attributes in an `.ARM.attributes` section's
/// bytes: its value, or 0 (the base procedure call standard, the tag's default) when the
/// file attributes leave it out; `None` when there are no `aeabi` file attributes or they do
/// not read as AAELF32's attribute format describes.
pub fn vfp_args(bytes: &[u8]) -> Option<u64> {
    fn uleb(b: &[u8], at: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*at)?;
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    fn ntbs(b: &[u8], at: &mut usize) -> Option<()> {
        let len = b.get(*at..)?.iter().position(|&c| c == 0)?;
        *at += len + 1;
        Some(())
    }
    let u32_at = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    if bytes.first() != Some(&b'A') {
        return None;
    }
    let mut sub = 1;
    let mut file_attributes = false;
    while sub < bytes.len() {
        let len = u32_at(sub)?;
        let end = sub
            .checked_add(len)
            .filter(|&e| e <= bytes.len() && len >= 4)?;
        let mut at = sub + 4;
        let vendor_len = bytes.get(at..end)?.iter().position(|&c| c == 0)?;
        let vendor = bytes.get(at..at + vendor_len)?;
        at += vendor_len + 1;
        while vendor == b"aeabi" && at < end {
            let tag = *bytes.get(at)?;
            let size = u32_at(at + 1)?;
            let part_end = at.checked_add(size).filter(|&e| e <= end && size >= 5)?;
            let mut p = at + 5;
            if tag == 1 {
                // File attributes: (tag, value) pairs.
                while p < part_end {
                    let attr = uleb(bytes, &mut p)?;
                    match attr {
                        4 | 5 | 67 => ntbs(bytes, &mut p)?,
                        32 => {
                            uleb(bytes, &mut p)?;
                            ntbs(bytes, &mut p)?;
                        }
                        a if a > 32 && a % 2 == 1 => ntbs(bytes, &mut p)?,
                        28 => return uleb(bytes, &mut p),
                        _ => {
                            uleb(bytes, &mut p)?;
                        }
                    }
                }
                file_attributes = true;
            }
            at = part_end;
        }
        sub = end;
    }
    file_attributes.then_some(0)
}

/// The portable kind objforge's writer spells as `r_type` on Arm.
pub fn portable(r_type: u32) -> Option<RelocKind> {
    use RelocKind::*;
    Some(match r_type {
        2 => Abs32,
        3 => Pcrel32,
        5 => Abs16,
        8 => Abs8,
        10 => ArmThmCall,
        24 => ArmGotoff32,
        25 => ArmBasePrel,
        26 => ArmGotBrel,
        28 => ArmCall,
        29 => ArmJump24,
        30 => ArmThmJump24,
        38 => ArmTarget1,
        41 => ArmTarget2,
        42 => ArmPrel31,
        43 => ArmMovwAbsNc,
        44 => ArmMovtAbs,
        45 => ArmMovwPrelNc,
        46 => ArmMovtPrel,
        47 => ArmThmMovwAbsNc,
        48 => ArmThmMovtAbs,
        49 => ArmThmMovwPrelNc,
        50 => ArmThmMovtPrel,
        51 => ArmThmJump19,
        96 => ArmGotPrel,
        _ => return None,
    })
}

fn sext(value: u32, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((u64::from(value) << shift) as i64) >> shift
}

/// For a kind whose REL addend is not a plain integer: the addend read out of the
/// little-endian word at the field, and the word with the field cleared. `None` for the
/// other kinds.
pub fn take_addend(kind: RelocKind, word: u32) -> Option<(i64, u32)> {
    use RelocKind::*;
    let (hw1, hw2) = (word & 0xffff, word >> 16);
    Some(match kind {
        ArmPrel31 => (sext(word & 0x7fff_ffff, 31), word & 0x8000_0000),
        ArmCall | ArmJump24 => {
            let imm = sext((word & 0x00ff_ffff) << 2, 26);
            if word >> 28 == 0xf {
                // `blx`: H (bit 24) is a halfword.
                (imm + i64::from((word >> 24) & 1) * 2, word & 0xfe00_0000)
            } else {
                (imm, word & 0xff00_0000)
            }
        }
        ArmThmCall | ArmThmJump24 => {
            let s = (hw1 >> 10) & 1;
            let j1 = (hw2 >> 13) & 1;
            let j2 = (hw2 >> 11) & 1;
            let i1 = (j1 ^ s) ^ 1;
            let i2 = (j2 ^ s) ^ 1;
            let imm =
                (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1);
            (sext(imm, 25), (hw1 & 0xf800) | ((hw2 & 0xd000) << 16))
        }
        ArmThmJump19 => {
            let s = (hw1 >> 10) & 1;
            let j1 = (hw2 >> 13) & 1;
            let j2 = (hw2 >> 11) & 1;
            let imm =
                (s << 20) | (j2 << 19) | (j1 << 18) | ((hw1 & 0x3f) << 12) | ((hw2 & 0x7ff) << 1);
            (sext(imm, 21), (hw1 & 0xfbc0) | ((hw2 & 0xd000) << 16))
        }
        ArmMovwAbsNc | ArmMovtAbs | ArmMovwPrelNc | ArmMovtPrel => {
            let imm = ((word >> 4) & 0xf000) | (word & 0xfff);
            (sext(imm, 16), word & 0xfff0_f000)
        }
        ArmThmMovwAbsNc | ArmThmMovtAbs | ArmThmMovwPrelNc | ArmThmMovtPrel => {
            let imm = ((hw1 & 0xf) << 12)
                | (((hw1 >> 10) & 1) << 11)
                | (((hw2 >> 12) & 7) << 8)
                | (hw2 & 0xff);
            (sext(imm, 16), (hw1 & 0xfbf0) | ((hw2 & 0x8f00) << 16))
        }
        _ => return None,
    })
}

/// The section an exception index table called `name` indexes, by the writer's rule
/// (`.ARM.exidx` indexes `.text`, `.ARM.exidx<NAME>` indexes `<NAME>`); `None` if `name`
/// is no index table's.
pub fn exidx_text(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(".ARM.exidx")?;
    Some(if rest.is_empty() { ".text" } else { rest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnu_as_addends_come_back() {
        assert_eq!(
            take_addend(RelocKind::ArmCall, 0xebff_fffe),
            Some((-8, 0xeb00_0000))
        );
        assert_eq!(
            take_addend(RelocKind::ArmThmCall, 0xfffe_f7ff),
            Some((-4, 0xd000_f000))
        );
        assert_eq!(
            take_addend(RelocKind::ArmThmJump19, 0xaffe_f43f),
            Some((-4, 0x8000_f000))
        );
        assert_eq!(
            take_addend(RelocKind::ArmThmMovwAbsNc, 0x2034_f241),
            Some((0x1234, 0x0000_f240))
        );
        assert_eq!(
            take_addend(RelocKind::ArmMovtAbs, 0xe341_0234),
            Some((0x1234, 0xe340_0000))
        );
        assert_eq!(
            take_addend(RelocKind::ArmPrel31, 0xffff_fffc),
            Some((-4, 0x8000_0000))
        );
    }

    #[test]
    fn attributes_give_the_float_abi() {
        // GCC 12's armhf attributes, in part: Tag_CPU_name "7-A", Tag_CPU_arch v7, profile A,
        // Tag_ARM_ISA_use, Tag_THUMB_ISA_use, Tag_ABI_VFP_args 1, Tag_CPU_unaligned_access.
        let mut file = vec![1, 0, 0, 0, 0];
        file.extend_from_slice(&[
            5, b'7', b'-', b'A', 0, 6, 10, 7, b'A', 8, 1, 9, 2, 28, 1, 34, 1,
        ]);
        let size = file.len() as u32;
        file[1..5].copy_from_slice(&size.to_le_bytes());
        let mut sub = vec![0, 0, 0, 0];
        sub.extend_from_slice(b"aeabi\0");
        sub.extend_from_slice(&file);
        let len = sub.len() as u32;
        sub[..4].copy_from_slice(&len.to_le_bytes());
        let mut bytes = vec![b'A'];
        bytes.extend_from_slice(&sub);
        assert_eq!(vfp_args(&bytes), Some(1));
        assert_eq!(vfp_args(&bytes[..bytes.len() - 3]), None);
        // GCC's soft-float objects leave the tag out.
        let soft: Vec<u8> = bytes
            .iter()
            .copied()
            .enumerate()
            .filter(|&(i, _)| i != bytes.len() - 4 && i != bytes.len() - 3)
            .map(|(_, b)| b)
            .collect();
        let mut soft = soft;
        soft[1] -= 2;
        soft[12] -= 2;
        assert_eq!(vfp_args(&soft), Some(0));
        assert_eq!(vfp_args(b""), None);
    }
}
