//! The smallest end-to-end check through the library API: write, validate, link, run.

mod common;

use objforge::*;

#[test]
fn x86_64_static_hello_through_the_library() {
    let dir = common::scratch("smoke_x86_64");
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    #[rustfmt::skip]
    let code = vec![
        0xb8, 1, 0, 0, 0,             // mov eax, 1 (write)
        0xbf, 1, 0, 0, 0,             // mov edi, 1
        0x48, 0x8d, 0x35, 0, 0, 0, 0, // lea rsi, [rip + msg]
        0xba, 6, 0, 0, 0,             // mov edx, 6
        0x0f, 0x05,                   // syscall
        0xb8, 60, 0, 0, 0,            // mov eax, 60 (exit)
        0xbf, 7, 0, 0, 0,             // mov edi, 7
        0x0f, 0x05,                   // syscall
    ];
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes(code),
    );
    let rodata =
        obj.add_section(Section::new(".rodata", SectionKind::Rodata).with_bytes(&b"hello\n"[..]));
    obj.add_symbol(Symbol::file("hello.s"));
    obj.add_symbol(
        Symbol::defined("_start", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let msg = obj.add_symbol(
        Symbol::defined("msg", rodata, 0)
            .with_kind(SymbolKind::Object)
            .with_size(6),
    );
    obj.add_relocation(Relocation::new(text, 13, msg, RelocKind::Pcrel32).with_addend(-4));
    let o = dir.join("hello.o");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    common::check_elf(&o);
    let exe = dir.join("hello");
    common::run_ok(
        std::process::Command::new("ld")
            .arg("-static")
            .arg(&o)
            .arg("-o")
            .arg(&exe),
    );
    assert_eq!(common::run_program(None, &exe), ("hello\n".to_string(), 7));
    let exe2 = dir.join("hello-lld");
    common::link_lld(&[&o], &["-static"], &exe2);
    assert_eq!(common::run_program(None, &exe2), ("hello\n".to_string(), 7));
}
