//! Workload W1, shared by the benchmark (`src/main.rs`) and the test that links a W1 object
//! (`crates/objforge-cli/tests/bench_w1_links.rs`).
//!
//! W1: 100,000 x86_64 functions of 64 bytes in `.text`, each with one RIP-relative reference
//! to its data word (`lea rax, [rip+data_word_N]`: pcrel32, addend -4) and one call to one of
//! 1,000 imports (`call import_M`: x86_branch32, addend -4); 100,000 8-byte data words in
//! `.data`, each an abs64 pointer to its function; one global symbol per function and per data
//! word. W1×10 scales the functions and data words by ten (the imports stay 1,000).
//!
//! Two ways to build the model, both timed by the benchmark:
//! - *backend-driven* ([`objforge_backend`]): as a compiler backend does, formatting each name
//!   and appending each function's bytes while it builds the model. Each writer formats the
//!   names the way its API invites: objforge's symbol constructors take `format_args!`, which
//!   is formatted straight into the symbol's [`objforge::Name`] (inline, no allocation, for
//!   names of up to 22 bytes: all of W1's); `object` 0.40 takes an owned `Vec<u8>` per name,
//!   so its side is `format!(..).into_bytes()`. The formatting itself is the same work for
//!   both;
//! - *prepared* ([`Workload::objforge_model`]): from a [`Workload`] whose names and code were
//!   made beforehand (outside the timed region), copied into the model.

use objforge::{
    Architecture, Binding, Format, Object, RelocKind, Relocation, Section, SectionKind, Symbol,
    SymbolId, SymbolKind, Target,
};

/// Bytes of one function.
pub const FUNCTION_SIZE: usize = 64;
/// Offset in a function of the `lea`'s displacement (the pcrel32 field).
pub const LEA_DISP: usize = 3;
/// Offset in a function of the `call`'s displacement (the x86_branch32 field).
pub const CALL_DISP: usize = 8;
/// Functions (and data words) at scale 1.
pub const FUNCTIONS: usize = 100_000;
/// Imported functions, at every scale.
pub const IMPORTS: usize = 1_000;

/// One function's bytes: `lea rax, [rip+0]`, `call 0`, `nop` padding, `ret`.
pub fn function_body() -> [u8; FUNCTION_SIZE] {
    let mut body = [0x90u8; FUNCTION_SIZE];
    body[..7].copy_from_slice(&[0x48, 0x8d, 0x05, 0, 0, 0, 0]);
    body[7..12].copy_from_slice(&[0xe8, 0, 0, 0, 0]);
    body[FUNCTION_SIZE - 1] = 0xc3;
    body
}

/// Name of function `i`.
pub fn function_name(i: usize) -> String {
    format!("function_{i}")
}

/// Name of data word `i`.
pub fn data_name(i: usize) -> String {
    format!("data_word_{i}")
}

/// Name of import `i`.
pub fn import_name(i: usize) -> String {
    format!("import_{i}")
}

/// The import function `i` calls.
pub fn import_of(i: usize) -> usize {
    i % IMPORTS
}

/// The two relocations of the function at `at` in `text`: its `lea` of data word `word` and
/// its call of `import`.
fn function_relocations(
    text: objforge::SectionId,
    at: u64,
    word: SymbolId,
    import: SymbolId,
) -> [Relocation; 2] {
    [
        Relocation::new(text, at + LEA_DISP as u64, word, RelocKind::Pcrel32).with_addend(-4),
        Relocation::new(text, at + CALL_DISP as u64, import, RelocKind::X86Branch32)
            .with_addend(-4),
    ]
}

/// W1 at `scale` built the way a compiler backend builds it, for `format` on x86_64: the
/// 1,000 imports; then each data word (its name formatted, its 8 zero bytes appended, its
/// symbol); then each function (its name formatted, its bytes appended to `.text`, its symbol,
/// its two relocations); then each data word's relocation. Nothing is prepared beforehand.
/// Names are formatted with `format_args!` into the symbol's [`objforge::Name`] (the same
/// text as [`function_name`], [`data_name`], [`import_name`], without a `String` each).
pub fn objforge_backend(scale: usize, format: Format) -> Object {
    let functions = FUNCTIONS * scale;
    let mut obj = Object::new(Target::new(Architecture::X86_64, format));
    // Nothing is reserved: a backend emitting function by function does not know the totals.
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_align(16));
    let data = obj.add_section(Section::new(".data", SectionKind::Data).with_align(8));
    for i in 0..IMPORTS {
        obj.add_symbol(Symbol::undefined(format_args!("import_{i}")));
    }
    let first_data = obj.symbols.len();
    for i in 0..functions {
        let at = obj.append_section_data(data, &[0; 8], 8);
        obj.add_symbol(
            Symbol::defined(format_args!("data_word_{i}"), data, at)
                .with_kind(SymbolKind::Object)
                .with_binding(Binding::Global)
                .with_size(8),
        );
    }
    let body = function_body();
    let first_function = obj.symbols.len();
    for i in 0..functions {
        let at = obj.append_section_data(text, &body, 16);
        obj.add_symbol(
            Symbol::defined(format_args!("function_{i}"), text, at)
                .with_kind(SymbolKind::Func)
                .with_binding(Binding::Global)
                .with_size(FUNCTION_SIZE as u64),
        );
        for r in function_relocations(
            text,
            at,
            SymbolId::from_index(first_data + i),
            SymbolId::from_index(import_of(i)),
        ) {
            obj.add_relocation(r);
        }
    }
    for i in 0..functions {
        obj.add_relocation(Relocation::new(
            data,
            8 * i as u64,
            SymbolId::from_index(first_function + i),
            RelocKind::Abs64,
        ));
    }
    obj
}

/// The workload as plain data, from which each writer's model is built.
pub struct Workload {
    /// Number of functions, and of data words.
    pub functions: usize,
    /// Names of the functions.
    pub function_names: Vec<String>,
    /// Names of the data words.
    pub data_names: Vec<String>,
    /// Names of the imports.
    pub import_names: Vec<String>,
    /// The code: every function's bytes, back to back.
    pub text: Vec<u8>,
}

impl Workload {
    /// W1 at `scale` (1 for W1, 10 for W1×10).
    pub fn new(scale: usize) -> Workload {
        let functions = FUNCTIONS * scale;
        Workload {
            functions,
            function_names: (0..functions).map(function_name).collect(),
            data_names: (0..functions).map(data_name).collect(),
            import_names: (0..IMPORTS).map(import_name).collect(),
            text: function_body().repeat(functions),
        }
    }

    /// Relocations in the workload: two per function, one per data word.
    pub fn relocations(&self) -> usize {
        3 * self.functions
    }

    /// Bytes the input itself holds, whoever's model it goes into: code, data words, names,
    /// and one (offset, symbol, kind, addend) record of 24 bytes per relocation.
    pub fn input_bytes(&self) -> usize {
        let names: usize = self
            .function_names
            .iter()
            .chain(&self.data_names)
            .chain(&self.import_names)
            .map(String::len)
            .sum();
        self.text.len() + 8 * self.functions + names + 24 * self.relocations()
    }

    /// The objforge model of the workload for `format` on x86_64: `.text`, `.data`, the
    /// imports, a global per function and per data word, and every relocation.
    pub fn objforge_model(&self, format: Format) -> Object {
        let mut obj = Object::new(Target::new(Architecture::X86_64, format));
        obj.sections.reserve(2);
        obj.symbols
            .reserve(2 * self.functions + self.import_names.len());
        obj.relocations.reserve(self.relocations());
        let text = obj.add_section(
            Section::new(".text", SectionKind::Text)
                .with_align(16)
                .with_bytes(self.text.clone()),
        );
        let data = obj.add_section(
            Section::new(".data", SectionKind::Data)
                .with_align(8)
                .with_bytes(vec![0; 8 * self.functions]),
        );
        let first_import = obj.symbols.len();
        for name in &self.import_names {
            obj.add_symbol(Symbol::undefined(name.as_str()));
        }
        let first_function = obj.symbols.len();
        for (i, name) in self.function_names.iter().enumerate() {
            obj.add_symbol(
                Symbol::defined(name.as_str(), text, (i * FUNCTION_SIZE) as u64)
                    .with_kind(SymbolKind::Func)
                    .with_binding(Binding::Global)
                    .with_size(FUNCTION_SIZE as u64),
            );
        }
        let first_data = obj.symbols.len();
        for (i, name) in self.data_names.iter().enumerate() {
            obj.add_symbol(
                Symbol::defined(name.as_str(), data, 8 * i as u64)
                    .with_kind(SymbolKind::Object)
                    .with_binding(Binding::Global)
                    .with_size(8),
            );
        }
        for i in 0..self.functions {
            let at = (i * FUNCTION_SIZE) as u64;
            let (word, import) = (first_data + i, first_import + import_of(i));
            for r in function_relocations(
                text,
                at,
                SymbolId::from_index(word),
                SymbolId::from_index(import),
            ) {
                obj.add_relocation(r);
            }
        }
        for i in 0..self.functions {
            obj.add_relocation(Relocation::new(
                data,
                8 * i as u64,
                SymbolId::from_index(first_function + i),
                RelocKind::Abs64,
            ));
        }
        obj
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_formats_the_same_names_as_the_helpers() {
        let obj = objforge_backend(1, Format::Elf);
        let expected = (0..IMPORTS)
            .map(import_name)
            .chain((0..FUNCTIONS).map(data_name))
            .chain((0..FUNCTIONS).map(function_name));
        assert_eq!(obj.symbols.len(), IMPORTS + 2 * FUNCTIONS);
        for (s, name) in obj.symbols.iter().zip(expected) {
            assert_eq!(s.name, name);
        }
    }
}
