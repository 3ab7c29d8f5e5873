//! 32-bit Arm REL addends as AAELF32 places them in instruction fields (and PREL31's low 31
//! bits), read independently of the library and the dump.

use objforge::RelocKind;

fn sext(value: u32, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((u64::from(value) << shift) as i64) >> shift
}

/// The decoder of `kind`'s addend from the little-endian word at the field, for the kinds
/// whose addend is not a plain integer.
pub(super) fn addend(kind: RelocKind) -> Option<fn(u32) -> i64> {
    use RelocKind::*;
    Some(match kind {
        ArmPrel31 => |w| sext(w & 0x7fff_ffff, 31),
        ArmCall | ArmJump24 => |w| sext((w & 0x00ff_ffff) << 2, 26),
        ArmThmCall | ArmThmJump24 => |w| {
            let (h1, h2) = (w & 0xffff, w >> 16);
            let s = (h1 >> 10) & 1;
            let i1 = !((h2 >> 13) ^ s) & 1;
            let i2 = !((h2 >> 11) ^ s) & 1;
            sext(
                (s << 24) | (i1 << 23) | (i2 << 22) | ((h1 & 0x3ff) << 12) | ((h2 & 0x7ff) << 1),
                25,
            )
        },
        ArmThmJump19 => |w| {
            let (h1, h2) = (w & 0xffff, w >> 16);
            let s = (h1 >> 10) & 1;
            let j1 = (h2 >> 13) & 1;
            let j2 = (h2 >> 11) & 1;
            sext(
                (s << 20) | (j2 << 19) | (j1 << 18) | ((h1 & 0x3f) << 12) | ((h2 & 0x7ff) << 1),
                21,
            )
        },
        ArmMovwAbsNc | ArmMovtAbs | ArmMovwPrelNc | ArmMovtPrel => {
            |w| sext(((w >> 4) & 0xf000) | (w & 0xfff), 16)
        }
        ArmThmMovwAbsNc | ArmThmMovtAbs | ArmThmMovwPrelNc | ArmThmMovtPrel => |w| {
            let (h1, h2) = (w & 0xffff, w >> 16);
            sext(
                ((h1 & 0xf) << 12)
                    | (((h1 >> 10) & 1) << 11)
                    | (((h2 >> 12) & 7) << 8)
                    | (h2 & 0xff),
                16,
            )
        },
        _ => return None,
    })
}
