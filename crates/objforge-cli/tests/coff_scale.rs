//! COFF objects past the limits of the plain header and section table: more sections than
//! the 16-bit section numbers hold (the bigobj header), and one section with more relocations
//! than `NumberOfRelocations` counts (`IMAGE_SCN_LNK_NRELOC_OVFL`). Both link with lld-link
//! (the relocations with MinGW ld too) and run under wine; a small object asked for bigobj
//! links with both linkers.

mod coff_support;
mod common;
mod scale_support;

use std::path::Path;

use coff_support::Arch;
use objforge::*;
use scale_support::hex;

fn windows_x86_64() -> Object {
    Object::new(Target::from_triple("x86_64-pc-windows-msvc").unwrap())
}

/// Adds `start` with `code` (calling ExitProcess through the relocation at `exit_call`).
fn add_start(obj: &mut Object, code: Vec<u8>, exit_call: u64) -> SectionId {
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes(code),
    );
    obj.add_symbol(
        Symbol::defined("start", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let exit = obj.add_symbol(Symbol::undefined("ExitProcess"));
    obj.add_relocation(
        Relocation::new(text, exit_call, exit, RelocKind::X86Branch32).with_addend(-4),
    );
    text
}

/// Links `obj` with lld-link and checks that the program exits 42.
fn link_lld_and_run(dir: &Path, obj: &Path) {
    let kernel32 = Arch::X86_64.import_lib("kernel32");
    let lld = dir.join("program-lld.exe");
    coff_support::lld_link(Arch::X86_64, &[obj, &kernel32], &["/entry:start"], &lld);
    assert_eq!(coff_support::wine(&lld), (String::new(), 42), "lld-link");
}

/// Links `obj` with both linkers and checks that the program exits 42.
fn link_and_run(dir: &Path, obj: &Path) {
    link_lld_and_run(dir, obj);
    let gnu = dir.join("program-mingw.exe");
    coff_support::mingw_link(
        Arch::X86_64,
        &[obj],
        &["-nostartfiles", "-Wl,-e,start", "-lkernel32"],
        &gnu,
    );
    assert_eq!(coff_support::wine(&gnu), (String::new(), 42), "mingw ld");
}

/// 70,000 sections, each holding a pointer to the next: `start` follows the chain and exits
/// 42 only if it took exactly 70,000 steps, so every pointer resolved to the right section.
#[test]
fn seventy_thousand_sections_take_the_bigobj_header_and_link() {
    const N: usize = 70_000;
    let dir = common::scratch("coff_scale_sections");
    let mut obj = windows_x86_64();
    // sub rsp,40; lea rdi,[rip+link0]; xor ecx,ecx
    // loop: inc ecx; mov rdi,[rdi]; test rdi,rdi; jnz loop
    // cmp ecx,70000; mov ecx,1; jne done; mov ecx,42; done: call ExitProcess
    let code = hex(
        "48 83 ec 28  48 8d 3d 00 00 00 00  31 c9  ff c1  48 8b 3f  48 85 ff  75 f6
         81 f9 70 11 01 00  b9 01 00 00 00  75 05  b9 2a 00 00 00  e8 00 00 00 00",
    );
    let text = add_start(&mut obj, code, 42);
    scale_support::add_section_chain(&mut obj, text, 7, N, |i| format!(".data$link{i}"));
    let o = dir.join("chain.obj");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    let bytes = std::fs::read(&o).unwrap();
    // ANON_OBJECT_HEADER_BIGOBJ: Sig1 0, Sig2 0xffff, Version 2, Machine AMD64.
    assert_eq!(bytes[..8], [0, 0, 0xff, 0xff, 2, 0, 0x64, 0x86]);
    let header = common::readobj(&["--file-headers"], &o);
    assert!(header.contains("SectionCount: 70001"), "{header}");
    coff_support::check_coff(&o);
    // GNU ld reads bigobj too (`bigobj_on_request`), but takes minutes over 70,000 sections.
    link_lld_and_run(&dir, &o);
}

/// 70,000 absolute pointers in one section, `table[i] = &target + i`: `start` checks every
/// one and exits 42 only if all resolved.
#[test]
fn seventy_thousand_relocations_in_one_section_take_the_overflow_form_and_link() {
    const N: usize = 70_000;
    let dir = common::scratch("coff_scale_relocations");
    let mut obj = windows_x86_64();
    // sub rsp,40; lea rsi,[rip+table]; lea rdx,[rip+target]; mov ecx,70000
    // loop: mov rax,[rsi]; cmp rax,rdx; jne fail; add rsi,8; inc rdx; dec ecx; jnz loop
    // mov ecx,42; jmp exit; fail: mov ecx,1; exit: call ExitProcess
    let code = hex(
        "48 83 ec 28  48 8d 35 00 00 00 00  48 8d 15 00 00 00 00  b9 70 11 01 00
         48 8b 06  48 39 d0  75 12  48 83 c6 08  48 ff c2  ff c9  75 ed
         b9 2a 00 00 00  eb 05  b9 01 00 00 00  e8 00 00 00 00",
    );
    let text = add_start(&mut obj, code, 55);
    scale_support::add_pointer_table(&mut obj, text, (7, 14), N, ".rdata");
    let o = dir.join("table.obj");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    let sections = common::readobj(&["--sections"], &o);
    assert!(
        sections.contains("RelocationCount: 65535")
            && sections.contains("IMAGE_SCN_LNK_NRELOC_OVFL (0x1000000)"),
        "{sections}"
    );
    let relocs = common::readobj(&["-r"], &o);
    assert_eq!(relocs.matches("IMAGE_REL_AMD64_ADDR64").count(), N);
    coff_support::check_coff(&o);
    link_and_run(&dir, &o);
}

/// `options.bigobj` asks for the bigobj header on a small object.
#[test]
fn bigobj_on_request() {
    let dir = common::scratch("coff_scale_bigobj_option");
    let mut obj = windows_x86_64();
    // sub rsp,40; mov ecx,42; call ExitProcess
    add_start(
        &mut obj,
        hex("48 83 ec 28  b9 2a 00 00 00  e8 00 00 00 00"),
        10,
    );
    obj.options.bigobj = true;
    let o = dir.join("small.obj");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    assert_eq!(std::fs::read(&o).unwrap()[2..4], [0xff, 0xff]);
    coff_support::check_coff(&o);
    link_and_run(&dir, &o);
}
