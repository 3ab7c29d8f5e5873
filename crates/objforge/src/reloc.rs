//! The portable relocation vocabulary: one kind per thing a backend wants patched, whatever the
//! container format calls it. The per-architecture tables in [`crate::arch`] map each kind to the
//! format's own relocation types.

use std::fmt;

mod code;
pub(crate) use code::{portable, NATIVE};

/// A portable relocation kind (named in JSON specs by [`RelocKind::name`]), or a native pass-through.
///
/// In the formulas S is the symbol's address, A the addend, P the address of the field (of
/// the instruction, for instruction kinds), GOT(S) the address of S's GOT slot, Page(x)
/// `x & !0xfff`. For thread-locals: TPOFF(x) (x86) and TPREL(x) (AArch64, RISC-V) are x's
/// offset from the thread pointer, DTPOFF(x) (AArch64: DTPREL(x)) its offset in its module's
/// TLS block, and GOTDESC(S) the address of S's TLS descriptor in the GOT.
/// `docs/relocations.md` maps each kind to every format's native encoding;
/// [`RelocKind::reach`] gives how far the PC-relative ones reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RelocKind {
    /// S + A in a 1-byte field.
    Abs8,
    /// S + A in a 2-byte field.
    Abs16,
    /// S + A in a 4-byte field (zero-extended use).
    Abs32,
    /// 32-bit absolute, used sign-extended (x86_64 `R_X86_64_32S`).
    Abs32S,
    /// S + A in an 8-byte field.
    Abs64,
    /// S + A - P in a 1-byte field.
    Pcrel8,
    /// S + A - P in a 2-byte field.
    Pcrel16,
    /// S + A - P in a 4-byte field.
    Pcrel32,
    /// S + A - P in an 8-byte field.
    Pcrel64,
    /// Offset of S + A from the start of S's section (DWARF, COFF `SECREL`).
    Secrel32,
    /// Index of S's section (COFF `SECTION`).
    Secidx16,
    /// S + A minus the image base (COFF `ADDR32NB`).
    Imagerel32,
    /// x86 `call`/`jmp` rel32 (through the PLT where there is one).
    X86Branch32,
    /// x86_64 RIP-relative displacement to S's GOT slot.
    X86GotPcrel32,
    /// AArch64 `bl`: (S + A - P) >> 2 in imm26 (±128 MiB; through a veneer or the PLT where needed).
    A64Call26,
    /// AArch64 `b`: (S + A - P) >> 2 in imm26 (±128 MiB).
    A64Jump26,
    /// AArch64 `b.cond`/`cbz`/`cbnz`: (S + A - P) >> 2 in imm19 (±1 MiB).
    A64Condbr19,
    /// AArch64 `tbz`/`tbnz`: (S + A - P) >> 2 in imm14 (±32 KiB).
    A64Tstbr14,
    /// AArch64 `ldr` (literal): (S + A - P) >> 2 in imm19 (±1 MiB).
    A64LdrLit19,
    /// AArch64 `adr`: S + A - P in immhi:immlo (±1 MiB).
    A64Adr21,
    /// AArch64 `adrp`: (Page(S + A) - Page(P)) >> 12 in immhi:immlo (±4 GiB).
    A64Adrp21,
    /// AArch64 `add`: (S + A) & 0xfff in imm12, completing an `adrp`.
    A64AddLo12,
    /// AArch64 byte load/store: (S + A) & 0xfff in imm12.
    A64Ldst8Lo12,
    /// AArch64 halfword load/store: ((S + A) & 0xfff) >> 1 in imm12.
    A64Ldst16Lo12,
    /// AArch64 word load/store: ((S + A) & 0xfff) >> 2 in imm12.
    A64Ldst32Lo12,
    /// AArch64 doubleword load/store: ((S + A) & 0xfff) >> 3 in imm12.
    A64Ldst64Lo12,
    /// AArch64 quadword load/store: ((S + A) & 0xfff) >> 4 in imm12.
    A64Ldst128Lo12,
    /// AArch64 `adrp` to S's GOT slot: (Page(GOT(S)) - Page(P)) >> 12.
    A64GotAdrp21,
    /// AArch64 `ldr` of S's GOT slot: (GOT(S) & 0xfff) >> 3 in imm12.
    A64GotLd64Lo12,
    /// RISC-V `call`: an AUIPC+JALR pair (8 bytes) reaching S + A - P (±2 GiB), through the
    /// PLT where there is one.
    RvCall,
    /// RISC-V `auipc`: the high 20 bits of S + A - P (rounded for the signed low 12).
    RvPcrelHi20,
    /// RISC-V `auipc` to S's GOT slot: the high 20 bits of GOT(S) + A - P.
    RvGotHi20,
    /// Completes the `RvPcrelHi20`/`RvGotHi20` at [`crate::Relocation::pair`].
    RvPcrelLo12I,
    /// Completes the `RvPcrelHi20`/`RvGotHi20` at [`crate::Relocation::pair`].
    RvPcrelLo12S,
    /// RISC-V `lui`: the high 20 bits of S + A (rounded for the signed low 12).
    RvHi20,
    /// RISC-V I-type (`addi`, loads): the low 12 bits of S + A.
    RvLo12I,
    /// RISC-V S-type (stores): the low 12 bits of S + A.
    RvLo12S,
    /// RISC-V B-type branch: S + A - P (±4 KiB, even).
    RvBranch,
    /// RISC-V `jal`: S + A - P (±1 MiB, even).
    RvJal,
    /// RISC-V `c.beqz`/`c.bnez`: S + A - P (±256 bytes, even).
    RvRvcBranch,
    /// RISC-V `c.j`: S + A - P (±2 KiB, even).
    RvRvcJump,
    /// S + A - M in a 1-byte field, M the relocation's `minus` symbol.
    Diff8,
    /// S + A - M in a 2-byte field, M the relocation's `minus` symbol.
    Diff16,
    /// S + A - M in a 4-byte field, M the relocation's `minus` symbol.
    Diff32,
    /// S + A - M in an 8-byte field, M the relocation's `minus` symbol.
    Diff64,
    /// Wasm: a function index in a 5-byte padded ULEB (`call`), `R_WASM_FUNCTION_INDEX_LEB`.
    WasmFuncIndexLeb,
    /// Wasm: a function index as a 4-byte little-endian word, `R_WASM_FUNCTION_INDEX_I32`.
    WasmFuncIndexI32,
    /// Wasm: a function's slot in the indirect function table, 5-byte padded SLEB
    /// (`i32.const` taking a function's address), `R_WASM_TABLE_INDEX_SLEB`.
    WasmTableIndexSleb,
    /// Wasm: a function's table slot as a 4-byte word (a function pointer in data),
    /// `R_WASM_TABLE_INDEX_I32`.
    WasmTableIndexI32,
    /// Wasm64: a function's table slot, 10-byte padded SLEB (`i64.const`).
    WasmTableIndexSleb64,
    /// Wasm64: a function's table slot as an 8-byte word.
    WasmTableIndexI64,
    /// Wasm: a data address S + A, 5-byte padded ULEB (a load/store offset).
    WasmMemoryAddrLeb,
    /// Wasm: a data address S + A, 5-byte padded SLEB (`i32.const`).
    WasmMemoryAddrSleb,
    /// Wasm: a data address S + A as a 4-byte word (a pointer in data).
    WasmMemoryAddrI32,
    /// Wasm64: a data address S + A, 10-byte padded ULEB.
    WasmMemoryAddrLeb64,
    /// Wasm64: a data address S + A, 10-byte padded SLEB (`i64.const`).
    WasmMemoryAddrSleb64,
    /// Wasm64: a data address S + A as an 8-byte word.
    WasmMemoryAddrI64,
    /// Wasm: a type index, 5-byte padded ULEB (`call_indirect`). It has no symbol: the
    /// relocation's addend is the index into the module's types.
    WasmTypeIndexLeb,
    /// Wasm: a global index, 5-byte padded ULEB (`global.get`/`global.set`).
    WasmGlobalIndexLeb,
    /// Wasm: a global index as a 4-byte word.
    WasmGlobalIndexI32,
    /// Wasm: a table number, 5-byte padded ULEB (`call_indirect`, `table.*`).
    WasmTableNumberLeb,
    /// Wasm: S + A as a byte offset into the code section, S a function (DWARF).
    WasmFunctionOffsetI32,
    /// Wasm64: S + A as a byte offset into the code section, as an 8-byte word.
    WasmFunctionOffsetI64,
    /// Wasm: S + A as a byte offset into S's custom section, S a section symbol (DWARF).
    WasmSectionOffsetI32,
    /// x86 local-exec: the offset of S + A from the thread pointer, TPOFF(S + A), in a 4-byte
    /// field (`movl %fs:x@tpoff, %eax`; x86_64 `R_X86_64_TPOFF32`, i386 `R_386_TLS_LE`). The
    /// offset is negative on x86: the TLS block sits below the thread pointer.
    X86Tpoff32,
    /// x86_64 initial-exec: GOT(S) + A - P, S's GOT slot holding TPOFF(S), in a 4-byte
    /// RIP-relative field (`movq x@gottpoff(%rip), %rax`; `R_X86_64_GOTTPOFF`).
    X86Gottpoff,
    /// x86_64 general-dynamic: GOT(S) + A - P, the GOT pair (module, offset) of S that
    /// `__tls_get_addr` takes (`leaq x@tlsgd(%rip), %rdi` in the padded 16-byte sequence;
    /// `R_X86_64_TLSGD`). i386: the pair's offset from the GOT (`R_386_TLS_GD`).
    X86Tlsgd,
    /// x86_64 local-dynamic: GOT(module) + A - P, the GOT pair of this module's TLS block
    /// (`leaq x@tlsld(%rip), %rdi`; `R_X86_64_TLSLD`). i386: its offset from the GOT
    /// (`R_386_TLS_LDM`).
    X86Tlsld,
    /// x86 local-dynamic: the offset of S + A in its module's TLS block, DTPOFF(S + A), in a
    /// 4-byte field (`leaq x@dtpoff(%rax), %rcx`; `R_X86_64_DTPOFF32`, `R_386_TLS_LDO_32`).
    X86Dtpoff32,
    /// x86_64: DTPOFF(S + A) in an 8-byte field (DWARF locations of thread-locals;
    /// `R_X86_64_DTPOFF64`).
    X86Dtpoff64,
    /// x86_64 TLS descriptor: GOT(S) + A - P, S's descriptor in the GOT
    /// (`leaq x@tlsdesc(%rip), %rax`; `R_X86_64_GOTPC32_TLSDESC`).
    X86GotpcTlsdesc,
    /// x86_64 TLS descriptor call: marks the 2-byte `call *x@tlscall(%rax)` so the linker may
    /// relax it; nothing is stored (`R_X86_64_TLSDESC_CALL`).
    X86TlsdescCall,
    /// AArch64 local-exec `add`: TPREL(S + A) >> 12 in imm12, checked to fit
    /// (`add x0, x0, #:tprel_hi12:x, lsl #12`; `R_AARCH64_TLSLE_ADD_TPREL_HI12`).
    A64TlsleHi12,
    /// AArch64 local-exec `add`: TPREL(S + A) & 0xfff in imm12, unchecked
    /// (`add x0, x0, #:tprel_lo12_nc:x`; `R_AARCH64_TLSLE_ADD_TPREL_LO12_NC`).
    A64TlsleLo12,
    /// AArch64 initial-exec `adrp`: (Page(GOT(S)) - Page(P)) >> 12, S's GOT slot holding
    /// TPREL(S) (`adrp x0, :gottprel:x`; `R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21`).
    A64TlsieAdrp21,
    /// AArch64 initial-exec `ldr`: (GOT(S) & 0xfff) >> 3 in imm12
    /// (`ldr x0, [x0, #:gottprel_lo12:x]`; `R_AARCH64_TLSIE_LD64_GOTTPREL_LO12_NC`).
    A64TlsieLd64Lo12,
    /// AArch64 general-dynamic `adrp`: (Page(GOT(S)) - Page(P)) >> 12, S's GOT pair for
    /// `__tls_get_addr` (`adrp x0, :tlsgd:x`; `R_AARCH64_TLSGD_ADR_PAGE21`).
    A64TlsgdAdrp21,
    /// AArch64 general-dynamic `add`: GOT(S) & 0xfff in imm12
    /// (`add x0, x0, :tlsgd_lo12:x`; `R_AARCH64_TLSGD_ADD_LO12_NC`).
    A64TlsgdAddLo12,
    /// AArch64 TLS descriptor `adrp`: (Page(GOTDESC(S)) - Page(P)) >> 12
    /// (`adrp x0, :tlsdesc:x`; `R_AARCH64_TLSDESC_ADR_PAGE21`).
    A64TlsdescAdrp21,
    /// AArch64 TLS descriptor `ldr`: (GOTDESC(S) & 0xfff) >> 3 in imm12
    /// (`ldr x1, [x0, #:tlsdesc_lo12:x]`; `R_AARCH64_TLSDESC_LD64_LO12`).
    A64TlsdescLd64Lo12,
    /// AArch64 TLS descriptor `add`: GOTDESC(S) & 0xfff in imm12
    /// (`add x0, x0, #:tlsdesc_lo12:x`; `R_AARCH64_TLSDESC_ADD_LO12`).
    A64TlsdescAddLo12,
    /// AArch64 TLS descriptor call: marks the `blr x1` so the linker may relax the sequence;
    /// nothing is stored (`.tlsdesccall x`; `R_AARCH64_TLSDESC_CALL`).
    A64TlsdescCall,
    /// RISC-V local-exec `lui`: the high 20 bits of TPREL(S + A), rounded for the signed low 12
    /// (`lui a5, %tprel_hi(x)`; `R_RISCV_TPREL_HI20`).
    RvTprelHi20,
    /// RISC-V local-exec I-type: the low 12 bits of TPREL(S + A)
    /// (`addi a5, a5, %tprel_lo(x)`, loads; `R_RISCV_TPREL_LO12_I`).
    RvTprelLo12I,
    /// RISC-V local-exec S-type (stores): the low 12 bits of TPREL(S + A)
    /// (`sw a0, %tprel_lo(x)(a5)`; `R_RISCV_TPREL_LO12_S`).
    RvTprelLo12S,
    /// RISC-V local-exec `add`: marks the `add a5, a5, tp, %tprel_add(x)` so the linker may
    /// relax the sequence; nothing is stored (`R_RISCV_TPREL_ADD`).
    RvTprelAdd,
    /// RISC-V initial-exec `auipc`: the high 20 bits of GOT(S) + A - P, S's GOT slot holding
    /// TPREL(S) (`la.tls.ie`; `R_RISCV_TLS_GOT_HI20`), completed by an `rv_pcrel_lo12_i`.
    RvTlsGotHi20,
    /// RISC-V general- and local-dynamic `auipc`: the high 20 bits of GOT(S) + A - P, S's GOT
    /// pair for `__tls_get_addr` (`la.tls.gd`; `R_RISCV_TLS_GD_HI20`), completed by an
    /// `rv_pcrel_lo12_i`.
    RvTlsGdHi20,
    /// AArch64 local-dynamic `adrp`: (Page(GOT(module)) - Page(P)) >> 12, the GOT pair of this
    /// module's TLS block (`adrp x0, :tlsldm:x`; `R_AARCH64_TLSLD_ADR_PAGE21`).
    A64TlsldAdrp21,
    /// AArch64 local-dynamic `add`: GOT(module) & 0xfff in imm12
    /// (`add x0, x0, #:tlsldm_lo12_nc:x`; `R_AARCH64_TLSLD_ADD_LO12_NC`).
    A64TlsldAddLo12,
    /// AArch64 local-dynamic `add`: DTPREL(S + A) >> 12 in imm12, checked to fit
    /// (`add x0, x0, #:dtprel_hi12:x, lsl #12`; `R_AARCH64_TLSLD_ADD_DTPREL_HI12`).
    A64TlsldDtprelHi12,
    /// AArch64 local-dynamic `add`: DTPREL(S + A) & 0xfff in imm12, unchecked
    /// (`add x0, x0, #:dtprel_lo12_nc:x`; `R_AARCH64_TLSLD_ADD_DTPREL_LO12_NC`).
    A64TlsldDtprelLo12,
    /// i386 initial-exec without PIC: the absolute address of S's GOT slot holding TPOFF(S),
    /// GOT(S) + A, in a 4-byte field (`movl x@indntpoff, %eax; movl %gs:(%eax), %edx`;
    /// `R_386_TLS_IE`). Position-independent code uses `x86_gottpoff` instead.
    X86Indntpoff,
    /// ARM64 COFF `add`: bits 23:12 of S's offset in its section, SECREL(S) >> 12, added to
    /// imm12 (`add x9, x8, :secrel_hi12:x`; `IMAGE_REL_ARM64_SECREL_HIGH12A`). Windows
    /// thread-locals: the offset of `x` in `.tls`. No addend (the carry from the low bits
    /// would be lost).
    A64SecrelHi12,
    /// ARM64 COFF `add`: SECREL(S + A) & 0xfff in imm12 (`add x9, x9, :secrel_lo12:x`;
    /// `IMAGE_REL_ARM64_SECREL_LOW12A`).
    A64SecrelLo12,
    /// ARM64 COFF load/store: SECREL(S + A) & 0xfff, scaled by the access size the linker
    /// reads from the instruction, in imm12 (`ldr w0, [x8, :secrel_lo12:x]`;
    /// `IMAGE_REL_ARM64_SECREL_LOW12L`).
    A64SecrelLdstLo12,
    /// RISC-V TLS descriptor `auipc`: the high 20 bits of GOTDESC(S) + A - P, S's descriptor
    /// in the GOT (`auipc a0, %tlsdesc_hi(x)`; `R_RISCV_TLSDESC_HI20`), completed by the
    /// three `rv_tlsdesc_*` kinds below, each naming it by `pair`.
    RvTlsdescHi20,
    /// RISC-V TLS descriptor `ld`: the low 12 bits of the descriptor's address, from the
    /// `rv_tlsdesc_hi20` at `pair` (`ld a1, %tlsdesc_load_lo(.Lhi)(a0)`;
    /// `R_RISCV_TLSDESC_LOAD_LO12`).
    RvTlsdescLoadLo12,
    /// RISC-V TLS descriptor `addi`: the same low 12 bits for the argument
    /// (`addi a0, a0, %tlsdesc_add_lo(.Lhi)`; `R_RISCV_TLSDESC_ADD_LO12`).
    RvTlsdescAddLo12,
    /// RISC-V TLS descriptor call: marks the `jalr t0, 0(a1), %tlsdesc_call(.Lhi)` so the
    /// linker may relax the sequence; nothing is stored (`R_RISCV_TLSDESC_CALL`).
    RvTlsdescCall,
    /// IBM Z relative-long (`larl`, `lrl`, `stgrl`, `brcl`): (S + A - P) >> 1 in the 32-bit
    /// field 2 bytes into the instruction, P the field (±4 GiB, even; `R_390_PC32DBL`).
    S390Pc32Dbl,
    /// IBM Z relative branch (`brc`/`j`, `bras`, `brct`): (S + A - P) >> 1 in the 16-bit field
    /// 2 bytes into the instruction (±64 KiB, even; `R_390_PC16DBL`).
    S390Pc16Dbl,
    /// IBM Z call (`brasl %r14,f@PLT`): as [`RelocKind::S390Pc32Dbl`], through the PLT where
    /// there is one (`R_390_PLT32DBL`).
    S390Plt32Dbl,
    /// IBM Z short call (`bras %r14,f@PLT`): as [`RelocKind::S390Pc16Dbl`], through the PLT
    /// where there is one (`R_390_PLT16DBL`).
    S390Plt16Dbl,
    /// IBM Z `lgrl`/`larl` of S's GOT slot: (GOT(S) + A - P) >> 1 in the 32-bit field
    /// (`lgrl %r1,x@GOTENT`; `R_390_GOTENT`).
    S390GotEnt,
    /// IBM Z `larl %r12,_GLOBAL_OFFSET_TABLE_`: (GOT + A - P) >> 1 in the 32-bit field
    /// (`R_390_GOTPCDBL`).
    S390GotPcDbl,
    /// IBM Z local-exec: TPOFF(S + A), S's offset from the thread pointer, in an 8-byte word
    /// of the literal pool (`.quad x@ntpoff`; `R_390_TLS_LE64`).
    S390TlsLe64,
    /// IBM Z initial-exec: (GOT(S) + A - P) >> 1, S's GOT slot holding TPOFF(S), in the
    /// 32-bit field of `lgrl`/`larl` (`lgrl %r1,x@indntpoff`; `R_390_TLS_IEENT`).
    S390TlsIeent,
    /// IBM Z general-dynamic: the offset of S's GOT pair from the GOT, in an 8-byte word of the
    /// literal pool that `__tls_get_offset` takes (`.quad x@tlsgd`; `R_390_TLS_GD64`).
    S390TlsGd64,
    /// IBM Z general-dynamic call: marks the `brasl %r14,__tls_get_offset@PLT:tls_gdcall:x`
    /// so the linker may relax it; nothing is stored. It sits on the instruction and covers its
    /// first halfword (the `s390_plt32dbl` of the call covers the rest) (`R_390_TLS_GDCALL`).
    S390TlsGdcall,
    /// IBM Z local-dynamic: the offset of the module's GOT pair from the GOT, in an 8-byte word
    /// (`.quad x@tlsldm`; `R_390_TLS_LDM64`).
    S390TlsLdm64,
    /// IBM Z local-dynamic call marker on the `brasl` (`:tls_ldcall:`), as
    /// [`RelocKind::S390TlsGdcall`] (`R_390_TLS_LDCALL`).
    S390TlsLdcall,
    /// IBM Z local-dynamic: DTPOFF(S + A), S's offset in its module's TLS block, in an 8-byte
    /// word (`.quad x@dtpoff`; `R_390_TLS_LDO64`).
    S390TlsLdo64,
    /// PowerPC64 `bl`/`b`: (S + A - P) >> 2 in the 24-bit LI field (±32 MiB), through a
    /// PLT stub or to the callee's local entry where the linker decides (`R_PPC64_REL24`).
    PpcRel24,
    /// PowerPC64 `bc` (conditional branch): (S + A - P) >> 2 in the 14-bit BD field (±32 KiB;
    /// `R_PPC64_REL14`).
    PpcRel14,
    /// PowerPC64 `addis`: #ha(S + A), the high 16 bits adjusted for the signed low half
    /// (`sym@ha`; `R_PPC64_ADDR16_HA`).
    PpcAddr16Ha,
    /// PowerPC64 `addis`/`oris`: #hi(S + A), the high 16 bits (`sym@h`; `R_PPC64_ADDR16_HI`).
    PpcAddr16Hi,
    /// PowerPC64 D-form (`addi`, `lwz`, `stw`): #lo(S + A) (`sym@l`; `R_PPC64_ADDR16_LO`).
    PpcAddr16Lo,
    /// PowerPC64 DS-form (`ld`, `std`): #lo(S + A) >> 2 in the 14-bit DS field, S + A a
    /// multiple of 4 (`sym@l`; `R_PPC64_ADDR16_LO_DS`).
    PpcAddr16LoDs,
    /// PowerPC64 `addis rX, r2`: #ha(S + A - .TOC.) (`sym@toc@ha`; `R_PPC64_TOC16_HA`).
    PpcToc16Ha,
    /// PowerPC64 D-form: #lo(S + A - .TOC.) (`sym@toc@l`; `R_PPC64_TOC16_LO`).
    PpcToc16Lo,
    /// PowerPC64 DS-form (`ld`): #lo(S + A - .TOC.) >> 2 (`sym@toc@l`; `R_PPC64_TOC16_LO_DS`).
    PpcToc16LoDs,
    /// PowerPC64 `addis`: #ha(S + A - P), the global entry prologue's
    /// `addis r2, r12, .TOC.-func@ha` (`R_PPC64_REL16_HA`).
    PpcRel16Ha,
    /// PowerPC64 `addi`: #lo(S + A - P), the prologue's `addi r2, r2, .TOC.-func@l`
    /// (`R_PPC64_REL16_LO`).
    PpcRel16Lo,
    /// PowerPC64 `addis rX, r2`: #ha(GOT(S) + A - .TOC.), S's GOT slot (`sym@got@ha`;
    /// `R_PPC64_GOT16_HA`).
    PpcGot16Ha,
    /// PowerPC64 `ld`: #lo(GOT(S) + A - .TOC.) >> 2 (`sym@got@l`; `R_PPC64_GOT16_LO_DS`).
    PpcGot16LoDs,
    /// PowerPC64 local-exec `addis`: #ha(TPREL(S + A)) (`addis 9, 13, x@tprel@ha`;
    /// `R_PPC64_TPREL16_HA`).
    PpcTprel16Ha,
    /// PowerPC64 local-exec D-form: #lo(TPREL(S + A)) (`addi 9, 9, x@tprel@l`;
    /// `R_PPC64_TPREL16_LO`).
    PpcTprel16Lo,
    /// PowerPC64 initial-exec `addis`: #ha(GOT(S) + A - .TOC.), S's GOT slot holding TPREL(S)
    /// (`addis 9, 2, x@got@tprel@ha`; `R_PPC64_GOT_TPREL16_HA`).
    PpcGotTprel16Ha,
    /// PowerPC64 initial-exec `ld`: #lo(GOT(S) + A - .TOC.) >> 2
    /// (`ld 9, x@got@tprel@l(9)`; `R_PPC64_GOT_TPREL16_LO_DS`).
    PpcGotTprel16LoDs,
    /// PowerPC64 initial-exec `add`: marks the `add 9, 9, x@tls` that adds the thread pointer,
    /// so the linker may relax the sequence; nothing is stored (`R_PPC64_TLS`).
    PpcTls,
    /// Arm: (S + A - P) in the low 31 bits of a word, bit 31 kept (`.ARM.exidx`, `.ARM.extab`; `R_ARM_PREL31`).
    ArmPrel31,
    /// Arm `bl`/`blx`: (S + A - P) >> 2 in imm24 (±32 MiB; the linker turns `bl` into `blx` for a Thumb target; `R_ARM_CALL`).
    ArmCall,
    /// Arm `b`/`b<cond>`: (S + A - P) >> 2 in imm24 (±32 MiB; `R_ARM_JUMP24`).
    ArmJump24,
    /// Thumb-2 `bl`/`blx`: (S + A - P) >> 1 in S:J1:J2:imm10:imm11 (±16 MiB; `R_ARM_THM_CALL`).
    ArmThmCall,
    /// Thumb-2 `b.w`: (S + A - P) >> 1 in S:J1:J2:imm10:imm11 (±16 MiB; `R_ARM_THM_JUMP24`).
    ArmThmJump24,
    /// Thumb-2 `b<cond>.w`: (S + A - P) >> 1 in S:J2:J1:imm6:imm11 (±1 MiB; `R_ARM_THM_JUMP19`).
    ArmThmJump19,
    /// Arm `movw`: (S + A) & 0xffff in imm4:imm12 (`#:lower16:`; `R_ARM_MOVW_ABS_NC`).
    ArmMovwAbsNc,
    /// Arm `movt`: (S + A) >> 16 in imm4:imm12 (`#:upper16:`; `R_ARM_MOVT_ABS`).
    ArmMovtAbs,
    /// Arm `movw`: (S + A - P) & 0xffff in imm4:imm12 (`R_ARM_MOVW_PREL_NC`).
    ArmMovwPrelNc,
    /// Arm `movt`: (S + A - P) >> 16 in imm4:imm12 (`R_ARM_MOVT_PREL`).
    ArmMovtPrel,
    /// Thumb-2 `movw`: (S + A) & 0xffff in imm4:i:imm3:imm8 (`R_ARM_THM_MOVW_ABS_NC`).
    ArmThmMovwAbsNc,
    /// Thumb-2 `movt`: (S + A) >> 16 in imm4:i:imm3:imm8 (`R_ARM_THM_MOVT_ABS`).
    ArmThmMovtAbs,
    /// Thumb-2 `movw`: (S + A - P) & 0xffff in imm4:i:imm3:imm8 (`R_ARM_THM_MOVW_PREL_NC`).
    ArmThmMovwPrelNc,
    /// Thumb-2 `movt`: (S + A - P) >> 16 in imm4:i:imm3:imm8 (`R_ARM_THM_MOVT_PREL`).
    ArmThmMovtPrel,
    /// Arm: GOT(S) + A - P in a word (`.word x(GOT_PREL)`; `R_ARM_GOT_PREL`).
    ArmGotPrel,
    /// Arm: GOT(S) + A - GOT_ORG, the offset of S's GOT slot from the GOT, in a word (`.word x(GOT)`; `R_ARM_GOT_BREL`).
    ArmGotBrel,
    /// Arm: S + A - GOT_ORG in a word (`.word x(GOTOFF)`; `R_ARM_GOTOFF32`).
    ArmGotoff32,
    /// Arm: B(S) + A - P in a word, B(S) the GOT's address for `_GLOBAL_OFFSET_TABLE_` (`R_ARM_BASE_PREL`).
    ArmBasePrel,
    /// Arm: S + A in a word, or S + A - P where the platform says so (`.init_array`; `R_ARM_TARGET1`; GNU/Linux: absolute).
    ArmTarget1,
    /// Arm: the platform's data reference for exception tables (`R_ARM_TARGET2`; GNU/Linux: GOT(S) + A - P).
    ArmTarget2,
    /// The format's own relocation, passed through unchanged.
    Native(NativeReloc),
}

/// A format's own relocation encoding, for what the portable kinds do not cover (TLS models,
/// exotic relaxations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NativeReloc {
    /// ELF `r_type`, COFF `Type`, Mach-O `r_type`.
    pub r_type: u32,
    /// Mach-O `r_pcrel`.
    pub pcrel: bool,
    /// Mach-O `r_length` (log2 of the field size).
    pub length: u8,
    /// Bytes of section data the relocation patches, if known (0 = unknown); used for bounds
    /// and overlap checks only.
    pub size: u8,
}

/// How a relocated field sits in the section, for bounds, alignment and overlap checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldShape {
    /// Plain data of this many bytes.
    Data(u8),
    /// A LEB128 number padded to exactly this many bytes (5 for 32 bits, 10 for 64): every
    /// byte but the last has the continuation bit set, so a linker can rewrite it in place.
    /// Wasm's relocatable immediates.
    PaddedLeb(u8),
    /// An instruction (or instruction pair) of this many bytes, needing this alignment.
    Instruction {
        /// Bytes patched.
        size: u8,
        /// Required alignment of the offset.
        align: u8,
    },
}

/// How far a PC-relative field reaches: its value, S + A - P, must lie in `min..=max` and be
/// a multiple of `step` (what the field counts in: instructions, halfwords, bytes).
/// [`Object::write`](crate::Object::write) checks this where the distance is known when the
/// object is written (a target in the field's own section that no other module can
/// replace); the linker checks the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// The lowest value, in bytes.
    pub min: i64,
    /// The highest value, in bytes.
    pub max: i64,
    /// The value is a multiple of this.
    pub step: i64,
}

impl Reach {
    const fn signed_bits(bits: u32, step: i64) -> Reach {
        Reach {
            min: -(1 << (bits - 1)),
            max: (1 << (bits - 1)) - 1,
            step,
        }
    }

    /// Whether `value` fits.
    pub fn holds(self, value: i64) -> bool {
        (self.min..=self.max).contains(&value) && value % self.step == 0
    }
}

impl FieldShape {
    /// Bytes covered.
    pub fn size(self) -> u8 {
        match self {
            FieldShape::Data(n)
            | FieldShape::PaddedLeb(n)
            | FieldShape::Instruction { size: n, .. } => n,
        }
    }
}

/// Every portable kind, in the order docs/spec.md lists them.
pub const ALL_KINDS: &[RelocKind] = &[
    RelocKind::Abs8,
    RelocKind::Abs16,
    RelocKind::Abs32,
    RelocKind::Abs32S,
    RelocKind::Abs64,
    RelocKind::Pcrel8,
    RelocKind::Pcrel16,
    RelocKind::Pcrel32,
    RelocKind::Pcrel64,
    RelocKind::Secrel32,
    RelocKind::Secidx16,
    RelocKind::Imagerel32,
    RelocKind::X86Branch32,
    RelocKind::X86GotPcrel32,
    RelocKind::A64Call26,
    RelocKind::A64Jump26,
    RelocKind::A64Condbr19,
    RelocKind::A64Tstbr14,
    RelocKind::A64LdrLit19,
    RelocKind::A64Adr21,
    RelocKind::A64Adrp21,
    RelocKind::A64AddLo12,
    RelocKind::A64Ldst8Lo12,
    RelocKind::A64Ldst16Lo12,
    RelocKind::A64Ldst32Lo12,
    RelocKind::A64Ldst64Lo12,
    RelocKind::A64Ldst128Lo12,
    RelocKind::A64GotAdrp21,
    RelocKind::A64GotLd64Lo12,
    RelocKind::RvCall,
    RelocKind::RvPcrelHi20,
    RelocKind::RvGotHi20,
    RelocKind::RvPcrelLo12I,
    RelocKind::RvPcrelLo12S,
    RelocKind::RvHi20,
    RelocKind::RvLo12I,
    RelocKind::RvLo12S,
    RelocKind::RvBranch,
    RelocKind::RvJal,
    RelocKind::RvRvcBranch,
    RelocKind::RvRvcJump,
    RelocKind::Diff8,
    RelocKind::Diff16,
    RelocKind::Diff32,
    RelocKind::Diff64,
    RelocKind::WasmFuncIndexLeb,
    RelocKind::WasmFuncIndexI32,
    RelocKind::WasmTableIndexSleb,
    RelocKind::WasmTableIndexI32,
    RelocKind::WasmTableIndexSleb64,
    RelocKind::WasmTableIndexI64,
    RelocKind::WasmMemoryAddrLeb,
    RelocKind::WasmMemoryAddrSleb,
    RelocKind::WasmMemoryAddrI32,
    RelocKind::WasmMemoryAddrLeb64,
    RelocKind::WasmMemoryAddrSleb64,
    RelocKind::WasmMemoryAddrI64,
    RelocKind::WasmTypeIndexLeb,
    RelocKind::WasmGlobalIndexLeb,
    RelocKind::WasmGlobalIndexI32,
    RelocKind::WasmTableNumberLeb,
    RelocKind::WasmFunctionOffsetI32,
    RelocKind::WasmFunctionOffsetI64,
    RelocKind::WasmSectionOffsetI32,
    RelocKind::X86Tpoff32,
    RelocKind::X86Gottpoff,
    RelocKind::X86Tlsgd,
    RelocKind::X86Tlsld,
    RelocKind::X86Dtpoff32,
    RelocKind::X86Dtpoff64,
    RelocKind::X86GotpcTlsdesc,
    RelocKind::X86TlsdescCall,
    RelocKind::A64TlsleHi12,
    RelocKind::A64TlsleLo12,
    RelocKind::A64TlsieAdrp21,
    RelocKind::A64TlsieLd64Lo12,
    RelocKind::A64TlsgdAdrp21,
    RelocKind::A64TlsgdAddLo12,
    RelocKind::A64TlsdescAdrp21,
    RelocKind::A64TlsdescLd64Lo12,
    RelocKind::A64TlsdescAddLo12,
    RelocKind::A64TlsdescCall,
    RelocKind::RvTprelHi20,
    RelocKind::RvTprelLo12I,
    RelocKind::RvTprelLo12S,
    RelocKind::RvTprelAdd,
    RelocKind::RvTlsGotHi20,
    RelocKind::RvTlsGdHi20,
    RelocKind::A64TlsldAdrp21,
    RelocKind::A64TlsldAddLo12,
    RelocKind::A64TlsldDtprelHi12,
    RelocKind::A64TlsldDtprelLo12,
    RelocKind::X86Indntpoff,
    RelocKind::A64SecrelHi12,
    RelocKind::A64SecrelLo12,
    RelocKind::A64SecrelLdstLo12,
    RelocKind::RvTlsdescHi20,
    RelocKind::RvTlsdescLoadLo12,
    RelocKind::RvTlsdescAddLo12,
    RelocKind::RvTlsdescCall,
    RelocKind::S390Pc32Dbl,
    RelocKind::S390Pc16Dbl,
    RelocKind::S390Plt32Dbl,
    RelocKind::S390Plt16Dbl,
    RelocKind::S390GotEnt,
    RelocKind::S390GotPcDbl,
    RelocKind::S390TlsLe64,
    RelocKind::S390TlsIeent,
    RelocKind::S390TlsGd64,
    RelocKind::S390TlsGdcall,
    RelocKind::S390TlsLdm64,
    RelocKind::S390TlsLdcall,
    RelocKind::S390TlsLdo64,
    RelocKind::PpcRel24,
    RelocKind::PpcRel14,
    RelocKind::PpcAddr16Ha,
    RelocKind::PpcAddr16Hi,
    RelocKind::PpcAddr16Lo,
    RelocKind::PpcAddr16LoDs,
    RelocKind::PpcToc16Ha,
    RelocKind::PpcToc16Lo,
    RelocKind::PpcToc16LoDs,
    RelocKind::PpcRel16Ha,
    RelocKind::PpcRel16Lo,
    RelocKind::PpcGot16Ha,
    RelocKind::PpcGot16LoDs,
    RelocKind::PpcTprel16Ha,
    RelocKind::PpcTprel16Lo,
    RelocKind::PpcGotTprel16Ha,
    RelocKind::PpcGotTprel16LoDs,
    RelocKind::PpcTls,
    RelocKind::ArmPrel31,
    RelocKind::ArmCall,
    RelocKind::ArmJump24,
    RelocKind::ArmThmCall,
    RelocKind::ArmThmJump24,
    RelocKind::ArmThmJump19,
    RelocKind::ArmMovwAbsNc,
    RelocKind::ArmMovtAbs,
    RelocKind::ArmMovwPrelNc,
    RelocKind::ArmMovtPrel,
    RelocKind::ArmThmMovwAbsNc,
    RelocKind::ArmThmMovtAbs,
    RelocKind::ArmThmMovwPrelNc,
    RelocKind::ArmThmMovtPrel,
    RelocKind::ArmGotPrel,
    RelocKind::ArmGotBrel,
    RelocKind::ArmGotoff32,
    RelocKind::ArmBasePrel,
    RelocKind::ArmTarget1,
    RelocKind::ArmTarget2,
];

impl RelocKind {
    /// The kind's name (`abs64`, `a64_adrp21`, ...); `native` for a pass-through.
    pub fn name(self) -> &'static str {
        use RelocKind::*;
        match self {
            Abs8 => "abs8",
            Abs16 => "abs16",
            Abs32 => "abs32",
            Abs32S => "abs32s",
            Abs64 => "abs64",
            Pcrel8 => "pcrel8",
            Pcrel16 => "pcrel16",
            Pcrel32 => "pcrel32",
            Pcrel64 => "pcrel64",
            Secrel32 => "secrel32",
            Secidx16 => "secidx16",
            Imagerel32 => "imagerel32",
            X86Branch32 => "x86_branch32",
            X86GotPcrel32 => "x86_gotpcrel32",
            A64Call26 => "a64_call26",
            A64Jump26 => "a64_jump26",
            A64Condbr19 => "a64_condbr19",
            A64Tstbr14 => "a64_tstbr14",
            A64LdrLit19 => "a64_ldr_lit19",
            A64Adr21 => "a64_adr21",
            A64Adrp21 => "a64_adrp21",
            A64AddLo12 => "a64_add_lo12",
            A64Ldst8Lo12 => "a64_ldst8_lo12",
            A64Ldst16Lo12 => "a64_ldst16_lo12",
            A64Ldst32Lo12 => "a64_ldst32_lo12",
            A64Ldst64Lo12 => "a64_ldst64_lo12",
            A64Ldst128Lo12 => "a64_ldst128_lo12",
            A64GotAdrp21 => "a64_got_adrp21",
            A64GotLd64Lo12 => "a64_got_ld64_lo12",
            RvCall => "rv_call",
            RvPcrelHi20 => "rv_pcrel_hi20",
            RvGotHi20 => "rv_got_hi20",
            RvPcrelLo12I => "rv_pcrel_lo12_i",
            RvPcrelLo12S => "rv_pcrel_lo12_s",
            RvHi20 => "rv_hi20",
            RvLo12I => "rv_lo12_i",
            RvLo12S => "rv_lo12_s",
            RvBranch => "rv_branch",
            RvJal => "rv_jal",
            RvRvcBranch => "rv_rvc_branch",
            RvRvcJump => "rv_rvc_jump",
            Diff8 => "diff8",
            Diff16 => "diff16",
            Diff32 => "diff32",
            Diff64 => "diff64",
            WasmFuncIndexLeb => "wasm_func_index_leb",
            WasmFuncIndexI32 => "wasm_func_index_i32",
            WasmTableIndexSleb => "wasm_table_index_sleb",
            WasmTableIndexI32 => "wasm_table_index_i32",
            WasmTableIndexSleb64 => "wasm_table_index_sleb64",
            WasmTableIndexI64 => "wasm_table_index_i64",
            WasmMemoryAddrLeb => "wasm_memory_addr_leb",
            WasmMemoryAddrSleb => "wasm_memory_addr_sleb",
            WasmMemoryAddrI32 => "wasm_memory_addr_i32",
            WasmMemoryAddrLeb64 => "wasm_memory_addr_leb64",
            WasmMemoryAddrSleb64 => "wasm_memory_addr_sleb64",
            WasmMemoryAddrI64 => "wasm_memory_addr_i64",
            WasmTypeIndexLeb => "wasm_type_index_leb",
            WasmGlobalIndexLeb => "wasm_global_index_leb",
            WasmGlobalIndexI32 => "wasm_global_index_i32",
            WasmTableNumberLeb => "wasm_table_number_leb",
            WasmFunctionOffsetI32 => "wasm_function_offset_i32",
            WasmFunctionOffsetI64 => "wasm_function_offset_i64",
            WasmSectionOffsetI32 => "wasm_section_offset_i32",
            X86Tpoff32 => "x86_tpoff32",
            X86Gottpoff => "x86_gottpoff",
            X86Indntpoff => "x86_indntpoff",
            A64SecrelHi12 => "a64_secrel_hi12",
            A64SecrelLo12 => "a64_secrel_lo12",
            A64SecrelLdstLo12 => "a64_secrel_ldst_lo12",
            RvTlsdescHi20 => "rv_tlsdesc_hi20",
            RvTlsdescLoadLo12 => "rv_tlsdesc_load_lo12",
            RvTlsdescAddLo12 => "rv_tlsdesc_add_lo12",
            RvTlsdescCall => "rv_tlsdesc_call",
            X86Tlsgd => "x86_tlsgd",
            X86Tlsld => "x86_tlsld",
            X86Dtpoff32 => "x86_dtpoff32",
            X86Dtpoff64 => "x86_dtpoff64",
            X86GotpcTlsdesc => "x86_gotpc32_tlsdesc",
            X86TlsdescCall => "x86_tlsdesc_call",
            A64TlsleHi12 => "a64_tlsle_hi12",
            A64TlsleLo12 => "a64_tlsle_lo12",
            A64TlsieAdrp21 => "a64_tlsie_adrp21",
            A64TlsieLd64Lo12 => "a64_tlsie_ld64_lo12",
            A64TlsgdAdrp21 => "a64_tlsgd_adrp21",
            A64TlsgdAddLo12 => "a64_tlsgd_add_lo12",
            A64TlsdescAdrp21 => "a64_tlsdesc_adrp21",
            A64TlsdescLd64Lo12 => "a64_tlsdesc_ld64_lo12",
            A64TlsdescAddLo12 => "a64_tlsdesc_add_lo12",
            A64TlsdescCall => "a64_tlsdesc_call",
            RvTprelHi20 => "rv_tprel_hi20",
            RvTprelLo12I => "rv_tprel_lo12_i",
            RvTprelLo12S => "rv_tprel_lo12_s",
            RvTprelAdd => "rv_tprel_add",
            RvTlsGotHi20 => "rv_tls_got_hi20",
            RvTlsGdHi20 => "rv_tls_gd_hi20",
            A64TlsldAdrp21 => "a64_tlsld_adrp21",
            A64TlsldAddLo12 => "a64_tlsld_add_lo12",
            A64TlsldDtprelHi12 => "a64_tlsld_dtprel_hi12",
            A64TlsldDtprelLo12 => "a64_tlsld_dtprel_lo12",
            S390Pc32Dbl => "s390_pc32dbl",
            S390Pc16Dbl => "s390_pc16dbl",
            S390Plt32Dbl => "s390_plt32dbl",
            S390Plt16Dbl => "s390_plt16dbl",
            S390GotEnt => "s390_gotent",
            S390GotPcDbl => "s390_gotpcdbl",
            S390TlsLe64 => "s390_tls_le64",
            S390TlsIeent => "s390_tls_ieent",
            S390TlsGd64 => "s390_tls_gd64",
            S390TlsGdcall => "s390_tls_gdcall",
            S390TlsLdm64 => "s390_tls_ldm64",
            S390TlsLdcall => "s390_tls_ldcall",
            S390TlsLdo64 => "s390_tls_ldo64",
            PpcRel24 => "ppc_rel24",
            PpcRel14 => "ppc_rel14",
            PpcAddr16Ha => "ppc_addr16_ha",
            PpcAddr16Hi => "ppc_addr16_hi",
            PpcAddr16Lo => "ppc_addr16_lo",
            PpcAddr16LoDs => "ppc_addr16_lo_ds",
            PpcToc16Ha => "ppc_toc16_ha",
            PpcToc16Lo => "ppc_toc16_lo",
            PpcToc16LoDs => "ppc_toc16_lo_ds",
            PpcRel16Ha => "ppc_rel16_ha",
            PpcRel16Lo => "ppc_rel16_lo",
            PpcGot16Ha => "ppc_got16_ha",
            PpcGot16LoDs => "ppc_got16_lo_ds",
            PpcTprel16Ha => "ppc_tprel16_ha",
            PpcTprel16Lo => "ppc_tprel16_lo",
            PpcGotTprel16Ha => "ppc_got_tprel16_ha",
            PpcGotTprel16LoDs => "ppc_got_tprel16_lo_ds",
            PpcTls => "ppc_tls",
            ArmPrel31 => "arm_prel31",
            ArmCall => "arm_call",
            ArmJump24 => "arm_jump24",
            ArmThmCall => "arm_thm_call",
            ArmThmJump24 => "arm_thm_jump24",
            ArmThmJump19 => "arm_thm_jump19",
            ArmMovwAbsNc => "arm_movw_abs_nc",
            ArmMovtAbs => "arm_movt_abs",
            ArmMovwPrelNc => "arm_movw_prel_nc",
            ArmMovtPrel => "arm_movt_prel",
            ArmThmMovwAbsNc => "arm_thm_movw_abs_nc",
            ArmThmMovtAbs => "arm_thm_movt_abs",
            ArmThmMovwPrelNc => "arm_thm_movw_prel_nc",
            ArmThmMovtPrel => "arm_thm_movt_prel",
            ArmGotPrel => "arm_got_prel",
            ArmGotBrel => "arm_got_brel",
            ArmGotoff32 => "arm_gotoff32",
            ArmBasePrel => "arm_base_prel",
            ArmTarget1 => "arm_target1",
            ArmTarget2 => "arm_target2",
            Native(_) => "native",
        }
    }

    /// Parses a portable kind's name (not `native`, which needs its encoding).
    pub fn from_name(name: &str) -> Option<RelocKind> {
        // Sorted by name once, then searched: a spec names a kind for every relocation, and
        // comparing against each of the hundred-odd names took a few percent of
        // `objforge build`.
        static BY_NAME: std::sync::OnceLock<Vec<(&'static str, RelocKind)>> =
            std::sync::OnceLock::new();
        let by_name = BY_NAME.get_or_init(|| {
            let mut by_name: Vec<_> = ALL_KINDS.iter().map(|&k| (k.name(), k)).collect();
            by_name.sort_unstable_by_key(|&(name, _)| name);
            by_name
        });
        let at = by_name
            .binary_search_by_key(&name, |&(name, _)| name)
            .ok()?;
        by_name.get(at).map(|&(_, kind)| kind)
    }

    /// How the field sits in the section. Native kinds report their declared size as data.
    pub fn shape(self) -> FieldShape {
        use RelocKind::*;
        let a64 = FieldShape::Instruction { size: 4, align: 4 };
        // RISC-V instructions may sit on 2-byte boundaries when the C extension is in use.
        let rv = FieldShape::Instruction { size: 4, align: 2 };
        match self {
            Abs8 | Pcrel8 | Diff8 => FieldShape::Data(1),
            Abs16 | Pcrel16 | Diff16 | Secidx16 => FieldShape::Data(2),
            Abs32 | Abs32S | Pcrel32 | Diff32 | Secrel32 | Imagerel32 => FieldShape::Data(4),
            Abs64 | Pcrel64 | Diff64 => FieldShape::Data(8),
            X86Branch32 | X86GotPcrel32 => FieldShape::Data(4),
            A64Call26 | A64Jump26 | A64Condbr19 | A64Tstbr14 | A64LdrLit19 | A64Adr21
            | A64Adrp21 | A64AddLo12 | A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12
            | A64Ldst64Lo12 | A64Ldst128Lo12 | A64GotAdrp21 | A64GotLd64Lo12 => a64,
            RvCall => FieldShape::Instruction { size: 8, align: 2 },
            RvPcrelHi20 | RvGotHi20 | RvPcrelLo12I | RvPcrelLo12S | RvHi20 | RvLo12I | RvLo12S
            | RvBranch | RvJal => rv,
            RvRvcBranch | RvRvcJump => FieldShape::Instruction { size: 2, align: 2 },
            WasmFuncIndexLeb | WasmTableIndexSleb | WasmMemoryAddrLeb | WasmMemoryAddrSleb
            | WasmTypeIndexLeb | WasmGlobalIndexLeb | WasmTableNumberLeb => {
                FieldShape::PaddedLeb(5)
            }
            WasmTableIndexSleb64 | WasmMemoryAddrLeb64 | WasmMemoryAddrSleb64 => {
                FieldShape::PaddedLeb(10)
            }
            WasmFuncIndexI32
            | WasmTableIndexI32
            | WasmMemoryAddrI32
            | WasmGlobalIndexI32
            | WasmFunctionOffsetI32
            | WasmSectionOffsetI32 => FieldShape::Data(4),
            WasmTableIndexI64 | WasmMemoryAddrI64 | WasmFunctionOffsetI64 => FieldShape::Data(8),
            X86Tpoff32 | X86Gottpoff | X86Indntpoff | X86Tlsgd | X86Tlsld | X86Dtpoff32
            | X86GotpcTlsdesc => FieldShape::Data(4),
            X86Dtpoff64 => FieldShape::Data(8),
            // `call *(%rax)` (ff 10): the linker rewrites its two bytes when it relaxes.
            X86TlsdescCall => FieldShape::Instruction { size: 2, align: 1 },
            A64TlsleHi12 | A64TlsleLo12 | A64TlsieAdrp21 | A64TlsieLd64Lo12 | A64TlsgdAdrp21
            | A64TlsgdAddLo12 | A64TlsdescAdrp21 | A64TlsdescLd64Lo12 | A64TlsdescAddLo12
            | A64TlsdescCall | A64TlsldAdrp21 | A64TlsldAddLo12 | A64TlsldDtprelHi12
            | A64TlsldDtprelLo12 | A64SecrelHi12 | A64SecrelLo12 | A64SecrelLdstLo12 => a64,
            RvTprelHi20 | RvTprelLo12I | RvTprelLo12S | RvTprelAdd | RvTlsGotHi20 | RvTlsGdHi20
            | RvTlsdescHi20 | RvTlsdescLoadLo12 | RvTlsdescAddLo12 | RvTlsdescCall => rv,
            // The halfword-counting fields start 2 bytes into a 2-aligned instruction.
            S390Pc32Dbl | S390Plt32Dbl | S390GotEnt | S390GotPcDbl | S390TlsIeent => {
                FieldShape::Instruction { size: 4, align: 2 }
            }
            S390TlsLe64 | S390TlsGd64 | S390TlsLdm64 | S390TlsLdo64 => FieldShape::Data(8),
            // The `brasl`'s opcode halfword: its PLT32DBL field follows.
            S390TlsGdcall | S390TlsLdcall => FieldShape::Instruction { size: 2, align: 2 },
            S390Pc16Dbl | S390Plt16Dbl => FieldShape::Instruction { size: 2, align: 2 },
            // Branches patch the whole word; the 16-bit kinds (`half16`, `half16ds`) the
            // instruction's low halfword, which little-endian puts at the instruction's address.
            PpcRel24 | PpcRel14 | PpcTls => FieldShape::Instruction { size: 4, align: 4 },
            PpcAddr16Ha | PpcAddr16Hi | PpcAddr16Lo | PpcAddr16LoDs | PpcToc16Ha | PpcToc16Lo
            | PpcToc16LoDs | PpcRel16Ha | PpcRel16Lo | PpcGot16Ha | PpcGot16LoDs | PpcTprel16Ha
            | PpcTprel16Lo | PpcGotTprel16Ha | PpcGotTprel16LoDs => {
                FieldShape::Instruction { size: 2, align: 2 }
            }
            // Arm instructions are words; Thumb-2 ones two halfwords on a 2-byte boundary.
            ArmCall | ArmJump24 | ArmMovwAbsNc | ArmMovtAbs | ArmMovwPrelNc | ArmMovtPrel => a64,
            ArmThmCall | ArmThmJump24 | ArmThmJump19 | ArmThmMovwAbsNc | ArmThmMovtAbs
            | ArmThmMovwPrelNc | ArmThmMovtPrel => FieldShape::Instruction { size: 4, align: 2 },
            ArmPrel31 | ArmGotPrel | ArmGotBrel | ArmGotoff32 | ArmBasePrel | ArmTarget1
            | ArmTarget2 => FieldShape::Data(4),
            Native(n) => FieldShape::Data(n.size),
        }
    }

    /// How far a PC-relative kind whose field is narrower than an address reaches; `None`
    /// for the others (absolute and address-wide kinds, page and low-12 halves, GOT slots).
    ///
    /// ```
    /// use objforge::RelocKind;
    /// let call = RelocKind::A64Call26.reach().unwrap();
    /// assert_eq!((call.min, call.max, call.step), (-(1 << 27), (1 << 27) - 1, 4));
    /// assert!(call.holds(4096) && !call.holds(4098));
    /// assert_eq!(RelocKind::Abs64.reach(), None);
    /// ```
    pub fn reach(self) -> Option<Reach> {
        use RelocKind::*;
        Some(match self {
            Pcrel8 => Reach::signed_bits(8, 1),
            Pcrel16 => Reach::signed_bits(16, 1),
            Pcrel32 | X86Branch32 => Reach::signed_bits(32, 1),
            // imm26, imm19 and imm14 count instructions; ADR's imm21 counts bytes.
            A64Call26 | A64Jump26 => Reach::signed_bits(28, 4),
            A64Condbr19 | A64LdrLit19 => Reach::signed_bits(21, 4),
            A64Tstbr14 => Reach::signed_bits(16, 4),
            A64Adr21 => Reach::signed_bits(21, 1),
            // B-type, J-type and the compressed forms count halfwords (bit 0 is not stored).
            RvBranch => Reach::signed_bits(13, 2),
            RvJal => Reach::signed_bits(21, 2),
            RvRvcBranch => Reach::signed_bits(9, 2),
            RvRvcJump => Reach::signed_bits(12, 2),
            // LI (24 bits) and BD (14 bits) count words.
            PpcRel24 => Reach::signed_bits(26, 4),
            PpcRel14 => Reach::signed_bits(16, 4),
            // Arm imm24 counts words (`blx` to a Thumb target adds a halfword bit); Thumb-2
            // branches count halfwords.
            ArmCall => Reach::signed_bits(26, 2),
            ArmJump24 => Reach::signed_bits(26, 4),
            ArmThmCall | ArmThmJump24 => Reach::signed_bits(25, 2),
            ArmThmJump19 => Reach::signed_bits(21, 2),
            ArmPrel31 => Reach::signed_bits(31, 1),
            // AUIPC's hi20 plus the sign-extended lo12 of the instruction after it.
            RvCall | RvPcrelHi20 => Reach {
                min: -(1 << 31) - (1 << 11),
                max: (1 << 31) - (1 << 11) - 1,
                step: 1,
            },
            // IBM Z's relative fields count halfwords.
            S390Pc32Dbl | S390Plt32Dbl => Reach::signed_bits(33, 2),
            S390Pc16Dbl | S390Plt16Dbl => Reach::signed_bits(17, 2),
            _ => return None,
        })
    }

    /// Whether this is one of the `diff*` kinds, which subtract a second symbol.
    pub fn is_diff(self) -> bool {
        matches!(
            self,
            RelocKind::Diff8 | RelocKind::Diff16 | RelocKind::Diff32 | RelocKind::Diff64
        )
    }

    /// Whether a relocation of this kind names a symbol. The exceptions: RISC-V's `%pcrel_lo`
    /// (its hi20 at `pair` names it) and Wasm's type index (its addend is the type).
    pub fn needs_symbol(self) -> bool {
        !self.is_pcrel_lo12() && self != RelocKind::WasmTypeIndexLeb
    }

    /// Whether this is a thread-local access kind (one of the TLS access models' or a TLS
    /// descriptor's), whose symbol must be a thread-local variable.
    pub fn is_tls(self) -> bool {
        use RelocKind::*;
        matches!(
            self,
            X86Tpoff32
                | X86Gottpoff
                | X86Indntpoff
                | X86Tlsgd
                | X86Tlsld
                | X86Dtpoff32
                | X86Dtpoff64
                | X86GotpcTlsdesc
                | X86TlsdescCall
                | A64TlsleHi12
                | A64TlsleLo12
                | A64TlsieAdrp21
                | A64TlsieLd64Lo12
                | A64TlsgdAdrp21
                | A64TlsgdAddLo12
                | A64TlsdescAdrp21
                | A64TlsdescLd64Lo12
                | A64TlsdescAddLo12
                | A64TlsdescCall
                | RvTprelHi20
                | RvTprelLo12I
                | RvTprelLo12S
                | RvTprelAdd
                | RvTlsGotHi20
                | RvTlsGdHi20
                | RvTlsdescHi20
                | A64TlsldAdrp21
                | A64TlsldAddLo12
                | A64TlsldDtprelHi12
                | A64TlsldDtprelLo12
                | S390TlsLe64
                | S390TlsIeent
                | S390TlsGd64
                | S390TlsGdcall
                | S390TlsLdm64
                | S390TlsLdcall
                | S390TlsLdo64
                | PpcTprel16Ha
                | PpcTprel16Lo
                | PpcGotTprel16Ha
                | PpcGotTprel16LoDs
                | PpcTls
        )
    }

    /// Whether this is one of the Wasm kinds (`wasm_*`), which only Wasm objects express.
    pub fn is_wasm(self) -> bool {
        self.name().starts_with("wasm_")
    }

    /// Whether this is a RISC-V kind that completes the hi20 at `pair`, naming it through a
    /// label there rather than a symbol: `%pcrel_lo` (`rv_pcrel_lo12_*`) and the TLS
    /// descriptor's `%tlsdesc_load_lo`, `%tlsdesc_add_lo` and `%tlsdesc_call`.
    pub fn is_pcrel_lo12(self) -> bool {
        use RelocKind::*;
        matches!(
            self,
            RvPcrelLo12I | RvPcrelLo12S | RvTlsdescLoadLo12 | RvTlsdescAddLo12 | RvTlsdescCall
        )
    }

    /// The PC-relative kind of the same width as a `diff*` kind (used where a format has no
    /// symbol-difference relocation but the subtracted symbol lies in the field's section).
    pub fn diff_as_pcrel(self) -> Option<RelocKind> {
        Some(match self {
            RelocKind::Diff8 => RelocKind::Pcrel8,
            RelocKind::Diff16 => RelocKind::Pcrel16,
            RelocKind::Diff32 => RelocKind::Pcrel32,
            RelocKind::Diff64 => RelocKind::Pcrel64,
            _ => return None,
        })
    }
}

impl fmt::Display for RelocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `diff*` relocation `S + A - M` as the PC-relative one it equals when `M` is defined in
/// the field's own section: the kind of the same width, and the addend with the distance from
/// `M` to the field folded in. For formats (or architectures) without a symbol-difference
/// relocation; `None` when `r` is no difference or `M` lies elsewhere.
#[inline]
pub(crate) fn difference_as_pcrel(
    obj: &crate::model::Object,
    r: &crate::model::Relocation,
) -> Option<(RelocKind, i64)> {
    let kind = r.kind().diff_as_pcrel()?;
    let minus = obj.symbols.get(r.minus()?.index())?;
    match minus.definition {
        crate::model::SymbolDefinition::Defined { section, offset } if section == r.section() => {
            Some((
                kind,
                r.addend()
                    .wrapping_add(r.offset() as i64)
                    .wrapping_sub(offset as i64),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{RelocKind, ALL_KINDS};

    #[test]
    fn every_kind_is_found_by_its_name_and_nothing_else_is() {
        for &kind in ALL_KINDS {
            assert_eq!(RelocKind::from_name(kind.name()), Some(kind));
        }
        for name in ["", "native", "abs", "abs640", "ABS64", "zzz"] {
            assert_eq!(RelocKind::from_name(name), None, "{name}");
        }
    }
}
