//! The spec's `unwind` array (see `docs/spec.md`, "Unwind"): per function, its code range and
//! its call-frame rules in GNU as's `.cfi_*` vocabulary, read into
//! [`objforge::unwind::FunctionUnwind`]s. Paths in the JSON and in the library's errors agree
//! (`unwind[2].cfi[5].reg`).

use objforge::unwind::{CfiOp, CfiRule, FunctionUnwind, Lsda, Register, SehOp, SehRule};
use objforge::{Architecture, Object, SectionId, Symbol, SymbolId};

use super::{resolve, Names};
use crate::decode;
use crate::json::{quote, suggestion, Node, SpecError};

/// Keys of an entry.
const ENTRY_FIELDS: &[&str] = &[
    "section",
    "offset",
    "size",
    "cfi",
    "seh",
    "personality",
    "lsda",
    "signal_frame",
    "return_column",
    "comment",
];
/// Keys of a `{"section", "offset"}` LSDA.
const LSDA_FIELDS: &[&str] = &["section", "offset"];
/// Keys a rule may have; which of them an op takes is checked per op.
const RULE_FIELDS: &[&str] = &[
    "at", "op", "reg", "reg2", "offset", "hex", "size", "code", "comment",
];
/// x86_64 Windows unwind codes objforge reads.
const SEH_OPS: &[&str] = &[
    "pushreg",
    "setframe",
    "stackalloc",
    "savereg",
    "savexmm",
    "pushframe",
    "endprologue",
];
/// arm64 Windows unwind codes objforge reads.
const SEH_OPS_ARM64: &[&str] = &[
    "save_fplr",
    "save_fplr_x",
    "save_reg",
    "save_reg_x",
    "save_regp",
    "save_regp_x",
    "save_lrpair",
    "save_freg",
    "save_freg_x",
    "save_fregp",
    "save_fregp_x",
    "set_fp",
    "add_fp",
    "stackalloc",
    "nop",
    "pac_sign_lr",
    "endprologue",
    "startepilogue",
    "endepilogue",
];

/// Reads `unwind` into `obj.unwind`. A personality routine named by no symbol becomes an
/// undefined global symbol, appended to `symbols`.
pub(super) fn read_unwind(
    node: Node<'_>,
    sections: &Names,
    symbols: &mut Names,
    obj: &mut Object,
) -> Result<(), SpecError> {
    for item in node.array()?.iter() {
        let entry = read_entry(item, sections, symbols, obj)?;
        obj.add_unwind(entry);
    }
    Ok(())
}

fn read_entry(
    node: Node<'_>,
    sections: &Names,
    symbols: &mut Names,
    obj: &mut Object,
) -> Result<FunctionUnwind, SpecError> {
    let arch = obj.target.arch;
    let fields = node.object(ENTRY_FIELDS, "field")?;
    let section =
        SectionId::from_index(resolve(fields.required("section")?, sections, "sections")?);
    let offset = fields.required("offset")?.u64()?;
    let size = fields.required("size")?.u64()?;
    let mut entry = FunctionUnwind::new(section, offset, size);
    if let Some(n) = fields.get("cfi") {
        for rule in n.array()?.iter() {
            entry.cfi.push(read_rule(rule, arch)?);
        }
    }
    if let Some(n) = fields.get("seh") {
        for rule in n.array()?.iter() {
            entry.seh.push(read_seh(rule, arch)?);
        }
    }
    if let Some(n) = fields.get("personality") {
        entry.personality = Some(personality(n, symbols, obj)?);
    }
    if let Some(n) = fields.get("lsda") {
        entry.lsda = Some(if n.value().is_object() {
            let at = n.object(LSDA_FIELDS, "field")?;
            Lsda::Section {
                section: SectionId::from_index(resolve(
                    at.required("section")?,
                    sections,
                    "sections",
                )?),
                offset: at.required("offset")?.u64()?,
            }
        } else {
            Lsda::Symbol(SymbolId::from_index(resolve(n, symbols, "symbols")?))
        });
    }
    if let Some(n) = fields.get("signal_frame") {
        entry.signal_frame = n.bool()?;
    }
    if let Some(n) = fields.get("return_column") {
        entry.return_column = Some(register(n, arch)?);
    }
    Ok(entry)
}

/// The personality routine's symbol: the one of that name, or a new undefined global one.
fn personality(
    node: Node<'_>,
    symbols: &mut Names,
    obj: &mut Object,
) -> Result<SymbolId, SpecError> {
    if let Some(name) = node.value().as_str() {
        if !symbols.by_name.contains_key(name) {
            let id = obj.add_symbol(Symbol::undefined(name));
            symbols.add(name, id.index());
            return Ok(id);
        }
    }
    Ok(SymbolId::from_index(resolve(node, symbols, "symbols")?))
}

/// A register: its assembler name on `arch`, or its DWARF number.
fn register(node: Node<'_>, arch: Architecture) -> Result<Register, SpecError> {
    if let Some(name) = node.value().as_str() {
        return Register::from_name(arch, name).ok_or_else(|| {
            node.error(format!(
                "unknown register {} on {arch} (give its assembler name, such as {}, or its DWARF number)",
                quote(name),
                match arch {
                    Architecture::X86_64 => "\"rbp\" or \"r12\"",
                    Architecture::I386 => "\"ebp\" or \"esi\"",
                    Architecture::Aarch64 => "\"x29\", \"fp\" or \"d8\"",
                    Architecture::Riscv64 => "\"ra\", \"s0\" or \"fs1\"",
                    Architecture::S390x => "\"r11\", \"r14\" or \"f8\"",
                    Architecture::Arm => {
                        "none: 32-bit Arm takes no unwind entries (its EHABI tables are sections)"
                    }
                    _ => "none: the architecture has no unwind registers",
                }
            ))
        });
    }
    if node.value().is_number() {
        let n = node.u64_at_most(u64::from(u16::MAX))?;
        return Ok(Register(n as u16));
    }
    Err(node.expected("a register name or DWARF register number"))
}

/// Fails unless `fields` has exactly the keys `wanted` (besides `at`, `op`, `comment`).
fn only(node: Node<'_>, op: &str, wanted: &[&str]) -> Result<(), SpecError> {
    if let Some(map) = node.value().as_object() {
        for key in map.keys() {
            if !matches!(key, "at" | "op" | "comment") && !wanted.contains(&key) {
                let takes = if wanted.is_empty() {
                    "nothing but `at`".to_string()
                } else {
                    wanted
                        .iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(node.error(format!("{} takes {takes}, not `{key}`", quote(op))));
            }
        }
    }
    Ok(())
}

fn read_rule(node: Node<'_>, arch: Architecture) -> Result<CfiRule, SpecError> {
    let fields = node.object(RULE_FIELDS, "field")?;
    let at = fields.required("at")?.u64()?;
    let op_node = fields.required("op")?;
    let name = op_node.str()?;
    let reg = |key: &'static str| -> Result<Register, SpecError> {
        register(fields.required(key)?, arch)
    };
    let offset = || -> Result<i64, SpecError> { fields.required("offset")?.i64() };
    let (op, takes): (CfiOp, &[&str]) = match name {
        "def_cfa" => (
            CfiOp::DefCfa {
                reg: reg("reg")?,
                offset: offset()?,
            },
            &["reg", "offset"],
        ),
        "def_cfa_register" => (CfiOp::DefCfaRegister(reg("reg")?), &["reg"]),
        "def_cfa_offset" => (CfiOp::DefCfaOffset(offset()?), &["offset"]),
        "adjust_cfa_offset" => (CfiOp::AdjustCfaOffset(offset()?), &["offset"]),
        "offset" => (
            CfiOp::Offset {
                reg: reg("reg")?,
                offset: offset()?,
            },
            &["reg", "offset"],
        ),
        "val_offset" => (
            CfiOp::ValOffset {
                reg: reg("reg")?,
                offset: offset()?,
            },
            &["reg", "offset"],
        ),
        "rel_offset" => (
            CfiOp::RelOffset {
                reg: reg("reg")?,
                offset: offset()?,
            },
            &["reg", "offset"],
        ),
        "register" => (
            CfiOp::Register {
                reg: reg("reg")?,
                reg2: reg("reg2")?,
            },
            &["reg", "reg2"],
        ),
        "restore" => (CfiOp::Restore(reg("reg")?), &["reg"]),
        "undefined" => (CfiOp::Undefined(reg("reg")?), &["reg"]),
        "same_value" => (CfiOp::SameValue(reg("reg")?), &["reg"]),
        "remember_state" => (CfiOp::RememberState, &[]),
        "restore_state" => (CfiOp::RestoreState, &[]),
        "negate_ra_state" => (CfiOp::NegateRaState, &[]),
        "window_save" => (CfiOp::WindowSave, &[]),
        "escape" => {
            let n = fields.required("hex")?;
            let bytes = decode::hex(n.str()?).map_err(|m| n.error(m))?;
            (CfiOp::Escape(bytes), &["hex"])
        }
        _ => {
            return Err(op_node.error(format!(
                "unknown call-frame rule {}{} (known: {})",
                quote(name),
                suggestion(name, CfiOp::NAMES.iter().copied()),
                CfiOp::NAMES.join(", ")
            )))
        }
    };
    only(node, name, takes)?;
    Ok(CfiRule { at, op })
}

fn read_seh(node: Node<'_>, arch: Architecture) -> Result<SehRule, SpecError> {
    let fields = node.object(RULE_FIELDS, "field")?;
    let at = fields.required("at")?.u64()?;
    let op_node = fields.required("op")?;
    let name = op_node.str()?;
    let known = match arch {
        Architecture::X86_64 => SEH_OPS,
        Architecture::Aarch64 => SEH_OPS_ARM64,
        _ => {
            return Err(op_node.error(format!(
                "Windows unwind codes are x86_64's and arm64's, not {arch}'s"
            )))
        }
    };
    if !known.contains(&name) {
        return Err(op_node.error(format!(
            "unknown {arch} Windows unwind code {}{} (known: {})",
            quote(name),
            suggestion(name, known.iter().copied()),
            known.join(", ")
        )));
    }
    let reg = |key: &'static str| -> Result<Register, SpecError> {
        register(fields.required(key)?, arch)
    };
    let offset = || -> Result<u64, SpecError> { fields.required("offset")?.u64() };
    let reg_offset = |make: fn(Register, u64) -> SehOp| -> Result<SehOp, SpecError> {
        Ok(make(reg("reg")?, offset()?))
    };
    let (op, takes): (SehOp, &[&str]) = match name {
        "save_reg" => (
            reg_offset(|reg, offset| SehOp::SaveReg { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_reg_x" => (
            reg_offset(|reg, offset| SehOp::SaveRegX { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_regp" => (
            reg_offset(|reg, offset| SehOp::SaveRegP { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_regp_x" => (
            reg_offset(|reg, offset| SehOp::SaveRegPX { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_lrpair" => (
            reg_offset(|reg, offset| SehOp::SaveLrPair { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_freg" => (
            reg_offset(|reg, offset| SehOp::SaveFReg { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_freg_x" => (
            reg_offset(|reg, offset| SehOp::SaveFRegX { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_fregp" => (
            reg_offset(|reg, offset| SehOp::SaveFRegP { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_fregp_x" => (
            reg_offset(|reg, offset| SehOp::SaveFRegPX { reg, offset })?,
            &["reg", "offset"],
        ),
        "save_fplr" => (SehOp::SaveFpLr(offset()?), &["offset"]),
        "save_fplr_x" => (SehOp::SaveFpLrX(offset()?), &["offset"]),
        "add_fp" => (SehOp::AddFp(offset()?), &["offset"]),
        "set_fp" => (SehOp::SetFp, &[]),
        "nop" => (SehOp::Nop, &[]),
        "pac_sign_lr" => (SehOp::PacSignLr, &[]),
        "startepilogue" => (SehOp::StartEpilogue, &[]),
        "endepilogue" => (SehOp::EndEpilogue, &[]),
        "pushreg" => (SehOp::PushReg(reg("reg")?), &["reg"]),
        "setframe" => (
            SehOp::SetFrame {
                reg: reg("reg")?,
                offset: fields.required("offset")?.u64()?,
            },
            &["reg", "offset"],
        ),
        "stackalloc" => (
            SehOp::StackAlloc(fields.required("size")?.u64()?),
            &["size"],
        ),
        "savereg" => (
            SehOp::SaveReg {
                reg: reg("reg")?,
                offset: fields.required("offset")?.u64()?,
            },
            &["reg", "offset"],
        ),
        "savexmm" => (
            SehOp::SaveXmm {
                reg: reg("reg")?,
                offset: fields.required("offset")?.u64()?,
            },
            &["reg", "offset"],
        ),
        "endprologue" => (SehOp::EndPrologue, &[]),
        "pushframe" => (
            SehOp::PushFrame {
                code: match fields.get("code") {
                    Some(n) => n.bool()?,
                    None => false,
                },
            },
            &["code"],
        ),
        _ => {
            return Err(op_node.error(format!(
                "unknown Windows unwind code {}{} (known: {})",
                quote(name),
                suggestion(name, SEH_OPS.iter().copied()),
                SEH_OPS.join(", ")
            )))
        }
    };
    only(node, name, takes)?;
    Ok(SehRule { at, op })
}
