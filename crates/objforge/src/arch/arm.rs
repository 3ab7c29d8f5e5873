//! 32-bit Arm relocations ("ELF for the Arm Architecture", AAELF32). ELF keeps the addend in
//! the field (REL), as GNU as writes it: in data words, and inside instructions, where this
//! module encodes it ([`store_addend`]) into the branch and `movw`/`movt` immediates.
//!
//! Thumb-2 32-bit instructions are two little-endian halfwords, the first holding the high
//! bits of the encoding.

use crate::reloc::RelocKind;

/// `R_ARM_*` types (AAELF32, "Relocation codes").
pub(crate) mod elf {
    pub const R_ABS32: u32 = 2;
    pub const R_REL32: u32 = 3;
    pub const R_ABS16: u32 = 5;
    pub const R_ABS8: u32 = 8;
    pub const R_THM_CALL: u32 = 10;
    pub const R_GOTOFF32: u32 = 24;
    pub const R_BASE_PREL: u32 = 25;
    pub const R_GOT_BREL: u32 = 26;
    pub const R_CALL: u32 = 28;
    pub const R_JUMP24: u32 = 29;
    pub const R_THM_JUMP24: u32 = 30;
    pub const R_TARGET1: u32 = 38;
    pub const R_TARGET2: u32 = 41;
    pub const R_PREL31: u32 = 42;
    pub const R_MOVW_ABS_NC: u32 = 43;
    pub const R_MOVT_ABS: u32 = 44;
    pub const R_MOVW_PREL_NC: u32 = 45;
    pub const R_MOVT_PREL: u32 = 46;
    pub const R_THM_MOVW_ABS_NC: u32 = 47;
    pub const R_THM_MOVT_ABS: u32 = 48;
    pub const R_THM_MOVW_PREL_NC: u32 = 49;
    pub const R_THM_MOVT_PREL: u32 = 50;
    pub const R_THM_JUMP19: u32 = 51;
    pub const R_GOT_PREL: u32 = 96;

    /// `e_flags`: EABI version 5.
    pub const EF_EABI_VER5: u32 = 0x0500_0000;
    /// `e_flags`: the soft-float procedure call standard.
    pub const EF_ABI_FLOAT_SOFT: u32 = 0x200;
    /// `e_flags`: the hard-float (VFP) procedure call standard.
    pub const EF_ABI_FLOAT_HARD: u32 = 0x400;

    /// Exception index table (`.ARM.exidx*`).
    pub const SHT_ARM_EXIDX: u32 = 0x7000_0001;
    /// Build attributes (`.ARM.attributes`).
    pub const SHT_ARM_ATTRIBUTES: u32 = 0x7000_0003;
}

/// The ELF type for `kind`.
pub(crate) fn elf_type(kind: RelocKind) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        Abs8 => elf::R_ABS8,
        Abs16 => elf::R_ABS16,
        Abs32 | Secrel32 => elf::R_ABS32,
        Pcrel32 => elf::R_REL32,
        ArmPrel31 => elf::R_PREL31,
        ArmCall => elf::R_CALL,
        ArmJump24 => elf::R_JUMP24,
        ArmThmCall => elf::R_THM_CALL,
        ArmThmJump24 => elf::R_THM_JUMP24,
        ArmThmJump19 => elf::R_THM_JUMP19,
        ArmMovwAbsNc => elf::R_MOVW_ABS_NC,
        ArmMovtAbs => elf::R_MOVT_ABS,
        ArmMovwPrelNc => elf::R_MOVW_PREL_NC,
        ArmMovtPrel => elf::R_MOVT_PREL,
        ArmThmMovwAbsNc => elf::R_THM_MOVW_ABS_NC,
        ArmThmMovtAbs => elf::R_THM_MOVT_ABS,
        ArmThmMovwPrelNc => elf::R_THM_MOVW_PREL_NC,
        ArmThmMovtPrel => elf::R_THM_MOVT_PREL,
        ArmGotPrel => elf::R_GOT_PREL,
        ArmGotBrel => elf::R_GOT_BREL,
        ArmGotoff32 => elf::R_GOTOFF32,
        ArmBasePrel => elf::R_BASE_PREL,
        ArmTarget1 => elf::R_TARGET1,
        ArmTarget2 => elf::R_TARGET2,
        _ => return None,
    })
}

/// How a kind's implicit addend sits in its field, when it is not a plain little-endian
/// integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// The low 31 bits of a word, sign-extended; bit 31 is kept.
    Prel31,
    /// Arm `b`/`bl` imm24 (words); `blx` (condition 0b1111) adds bit 24 as a halfword.
    ArmBranch,
    /// Thumb-2 `bl`/`b.w`: S:I1:I2:imm10:imm11:0, 25 bits (J1/J2 stored as I1/I2 xnor S).
    ThumbBranch24,
    /// Thumb-2 `b<cond>.w`: S:J2:J1:imm6:imm11:0, 21 bits.
    ThumbBranch19,
    /// Arm `movw`/`movt` imm4:imm12, a signed 16-bit addend.
    ArmMov,
    /// Thumb-2 `movw`/`movt` imm4:i:imm3:imm8, a signed 16-bit addend.
    ThumbMov,
}

/// The field of `kind` when its addend does not sit as a plain integer (REL).
pub(crate) fn field(kind: RelocKind) -> Option<Field> {
    use RelocKind::*;
    Some(match kind {
        ArmPrel31 => Field::Prel31,
        ArmCall | ArmJump24 => Field::ArmBranch,
        ArmThmCall | ArmThmJump24 => Field::ThumbBranch24,
        ArmThmJump19 => Field::ThumbBranch19,
        ArmMovwAbsNc | ArmMovtAbs | ArmMovwPrelNc | ArmMovtPrel => Field::ArmMov,
        ArmThmMovwAbsNc | ArmThmMovtAbs | ArmThmMovwPrelNc | ArmThmMovtPrel => Field::ThumbMov,
        _ => return None,
    })
}

/// The two halfwords of a Thumb-2 instruction stored as a little-endian word: the first
/// halfword in the low 16 bits.
fn halves(word: u32) -> (u32, u32) {
    (word & 0xffff, word >> 16)
}

fn join(hw1: u32, hw2: u32) -> u32 {
    (hw1 & 0xffff) | (hw2 << 16)
}

/// The little-endian word `word` (as the section holds it) with `addend` stored in
/// `field`; or why it cannot hold it.
pub(crate) fn store_addend(field: Field, word: u32, addend: i64) -> Result<u32, String> {
    let fits = |bits: u32| (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&addend);
    let a = addend as u32;
    Ok(match field {
        Field::Prel31 => {
            if !fits(31) {
                return Err("does not fit the 31-bit field".into());
            }
            (word & 0x8000_0000) | (a & 0x7fff_ffff)
        }
        Field::ArmBranch => {
            if !fits(26) {
                return Err("does not fit imm24 (±32 MiB)".into());
            }
            let blx = word >> 28 == 0xf;
            if blx {
                if addend % 2 != 0 {
                    return Err("is odd, and `blx` counts halfwords".into());
                }
                (word & 0xfe00_0000) | ((a >> 1 & 1) << 24) | (a >> 2 & 0x00ff_ffff)
            } else {
                if addend % 4 != 0 {
                    return Err("is not a multiple of 4, and imm24 counts words".into());
                }
                (word & 0xff00_0000) | (a >> 2 & 0x00ff_ffff)
            }
        }
        Field::ThumbBranch24 => {
            if !fits(25) {
                return Err("does not fit S:I1:I2:imm10:imm11 (±16 MiB)".into());
            }
            if addend % 2 != 0 {
                return Err("is odd, and the field counts halfwords".into());
            }
            let (hw1, hw2) = halves(word);
            let s = a >> 24 & 1;
            let i1 = a >> 23 & 1;
            let i2 = a >> 22 & 1;
            let j1 = (i1 ^ 1) ^ s;
            let j2 = (i2 ^ 1) ^ s;
            let hw1 = (hw1 & 0xf800) | (s << 10) | (a >> 12 & 0x3ff);
            let hw2 = (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | (a >> 1 & 0x7ff);
            join(hw1, hw2)
        }
        Field::ThumbBranch19 => {
            if !fits(21) {
                return Err("does not fit S:J2:J1:imm6:imm11 (±1 MiB)".into());
            }
            if addend % 2 != 0 {
                return Err("is odd, and the field counts halfwords".into());
            }
            let (hw1, hw2) = halves(word);
            let s = a >> 20 & 1;
            let j2 = a >> 19 & 1;
            let j1 = a >> 18 & 1;
            let hw1 = (hw1 & 0xfbc0) | (s << 10) | (a >> 12 & 0x3f);
            let hw2 = (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | (a >> 1 & 0x7ff);
            join(hw1, hw2)
        }
        Field::ArmMov => {
            if !fits(16) {
                return Err("does not fit the signed 16-bit immediate where REL keeps it".into());
            }
            (word & 0xfff0_f000) | ((a >> 12 & 0xf) << 16) | (a & 0xfff)
        }
        Field::ThumbMov => {
            if !fits(16) {
                return Err("does not fit the signed 16-bit immediate where REL keeps it".into());
            }
            let (hw1, hw2) = halves(word);
            let hw1 = (hw1 & 0xfbf0) | ((a >> 11 & 1) << 10) | (a >> 12 & 0xf);
            let hw2 = (hw2 & 0x8f00) | ((a >> 8 & 7) << 12) | (a & 0xff);
            join(hw1, hw2)
        }
    })
}

/// The `.ARM.attributes` contents the ELF writer adds when the object has none: the
/// `aeabi` subsection with one file-scope tag, `Tag_ABI_VFP_args` (28): 1 (arguments in VFP
/// registers) for the hard-float ABI, 0 (the base standard) for the soft-float one. Nothing
/// about the instruction set: the backend that knows it gives its own section.
pub(crate) fn default_attributes(hard_float: bool) -> Vec<u8> {
    let tags: &[u8] = &[28, hard_float as u8];
    // Tag_File (1), then its size (4 bytes, counting the tag and size), then the tags.
    let file_len = 1 + 4 + tags.len() as u32;
    let vendor = b"aeabi\0";
    let sub_len = 4 + vendor.len() as u32 + file_len;
    let mut out = vec![b'A'];
    out.extend_from_slice(&sub_len.to_le_bytes());
    out.extend_from_slice(vendor);
    out.push(1);
    out.extend_from_slice(&file_len.to_le_bytes());
    out.extend_from_slice(tags);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_fields_hold_gnu_as_addends() {
        // `bl x` as GNU as writes it: imm24 = -2 (addend -8).
        assert_eq!(
            store_addend(Field::ArmBranch, 0xeb00_0000, -8),
            Ok(0xebff_fffe)
        );
        // Thumb-2 `bl x`: f7ff fffe (addend -4).
        assert_eq!(
            store_addend(Field::ThumbBranch24, 0xf800_f000, -4),
            Ok(0xfffe_f7ff)
        );
        // Thumb-2 `beq.w x`: f43f affe (addend -4).
        assert_eq!(
            store_addend(Field::ThumbBranch19, 0x8000_f000, -4),
            Ok(0xaffe_f43f)
        );
        assert!(store_addend(Field::ThumbBranch24, 0, 1 << 24).is_err());
        assert!(store_addend(Field::ArmBranch, 0xeb00_0000, 2).is_err());
    }

    #[test]
    fn mov_fields_split_the_immediate() {
        // movw r0, #0x1234 (Arm): e3010234.
        assert_eq!(
            store_addend(Field::ArmMov, 0xe300_0000, 0x1234),
            Ok(0xe301_0234)
        );
        // movw r0, #0x1234 (Thumb-2): f241 2034.
        assert_eq!(
            store_addend(Field::ThumbMov, 0x0000_f240, 0x1234),
            Ok(0x2034_f241)
        );
        assert!(store_addend(Field::ArmMov, 0, 0x8000).is_err());
    }
}
