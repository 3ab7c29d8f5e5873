//! [`eh_frame_for_jit`] as a JIT uses it: machine code copied into executable memory, its
//! `.eh_frame` records registered with libgcc's `__register_frame`, then a Rust panic thrown by
//! a callback unwinds through the JIT code into `catch_unwind` (the Rust runtime unwinds with
//! the same libgcc unwinder C++ uses). Without the registration the panic could not pass the
//! JIT frame and the process would abort. x86_64 Linux only (the code is x86_64).
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::ffi::c_void;

use objforge::unwind::{eh_frame_for_jit, CfiOp, CfiRule, JitFunction, Register};
use objforge::Architecture;

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64)
        -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> i32;
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

const PROT_READ: i32 = 1;
const PROT_WRITE: i32 = 2;
const PROT_EXEC: i32 = 4;
const MAP_PRIVATE: i32 = 2;
const MAP_ANONYMOUS: i32 = 0x20;

/// push rbx; push r12; sub rsp, 8; mov rbx, rdi; mov r12, 42; call rbx; add rsp, 8; pop r12;
/// pop rbx; ret (the frameless function of tests/fixtures/unwind/through_x86_64.s).
const CODE: &[u8] = &[
    0x53, 0x41, 0x54, 0x48, 0x83, 0xec, 0x08, 0x48, 0x89, 0xfb, 0x49, 0xc7, 0xc4, 0x2a, 0x00, 0x00,
    0x00, 0xff, 0xd3, 0x48, 0x83, 0xc4, 0x08, 0x41, 0x5c, 0x5b, 0xc3,
];

extern "C-unwind" fn callback() {
    panic!("thrown by the callback");
}

#[test]
fn a_panic_unwinds_through_jit_code() {
    let reg = |name| Register::from_name(Architecture::X86_64, name).unwrap();
    let rule = |at, op| CfiRule { at, op };
    let rules = [
        rule(1, CfiOp::DefCfaOffset(16)),
        rule(
            1,
            CfiOp::Offset {
                reg: reg("rbx"),
                offset: -16,
            },
        ),
        rule(3, CfiOp::DefCfaOffset(24)),
        rule(
            3,
            CfiOp::Offset {
                reg: reg("r12"),
                offset: -24,
            },
        ),
        rule(7, CfiOp::AdjustCfaOffset(8)),
        rule(23, CfiOp::DefCfaOffset(24)),
        rule(25, CfiOp::DefCfaOffset(16)),
        rule(26, CfiOp::DefCfaOffset(8)),
    ];
    let len = 4096;
    // SAFETY: a fresh private anonymous mapping, used only here and unmapped at the end.
    let page = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            PROT_READ | PROT_WRITE | PROT_EXEC,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert!(page as isize > 0, "mmap failed");
    // SAFETY: the mapping is `len` bytes, more than the code.
    unsafe { std::ptr::copy_nonoverlapping(CODE.as_ptr(), page.cast::<u8>(), CODE.len()) };

    let table = eh_frame_for_jit(
        Architecture::X86_64,
        &[JitFunction {
            address: page as u64,
            size: CODE.len() as u64,
            cfi: &rules,
            personality: None,
            lsda: None,
            signal_frame: false,
            return_column: None,
        }],
    )
    .unwrap();
    // SAFETY: the table is well formed and zero-terminated, and outlives the registration.
    unsafe { __register_frame(table.as_ptr()) };

    // SAFETY: the code is the function above, whose ABI this type states.
    let jit: extern "C-unwind" fn(extern "C-unwind" fn()) = unsafe { std::mem::transmute(page) };
    let caught = std::panic::catch_unwind(|| jit(callback));
    let message = caught
        .expect_err("the callback panics")
        .downcast::<&str>()
        .map(|m| *m);
    assert_eq!(message.ok(), Some("thrown by the callback"));

    // SAFETY: registered above; the mapping is no longer used.
    unsafe {
        __deregister_frame(table.as_ptr());
        munmap(page, len);
    }
}
