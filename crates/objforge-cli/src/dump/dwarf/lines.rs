//! The line table: its file list becomes `files`, its rows `lines`.

use gimli::AttributeValue;
use serde_json::{Map, Value};

use super::{Context, Result, R};
use crate::dump::DumpError;

impl<'a> Context<'a> {
    /// The rows of the unit's line program, each placed in its section; fills `files` with
    /// the program's files (a path per file, joined with its directory unless that is the
    /// compilation directory).
    pub(super) fn lines(&mut self) -> Result<Vec<Value>> {
        let Some(program) = self.unit.line_program.clone() else {
            return Ok(Vec::new());
        };
        let header = program.header().clone();
        // DWARF 5 numbers files from 0, earlier versions from 1 (0 meaning none).
        let first = if header.version() >= 5 { 0 } else { 1 };
        let count = header.file_names().len() as u64;
        for number in first..first + count {
            let Some(file) = header.file(number) else {
                continue;
            };
            let name = self.line_string(file.path_name())?;
            let dir = match file.directory(&header) {
                Some(d) if file.directory_index() != 0 => Some(self.line_string(d)?),
                _ => None,
            };
            let path = match dir {
                Some(dir) if !name.starts_with('/') && !dir.is_empty() => {
                    format!("{}/{name}", dir.trim_end_matches('/'))
                }
                _ => name,
            };
            let index = self.add_file(path);
            self.line_files.insert(number, index);
        }
        let mut rows = Vec::new();
        let mut program_rows = program.rows();
        while let Some((_, row)) = program_rows.next_row().map_err(|e| line_error(&e))? {
            let (section, offset) = self.line_place(row.address())?;
            let mut r = Map::new();
            r.insert("section".into(), self.section_ref(section));
            r.insert("offset".into(), Value::from(offset));
            if row.end_sequence() {
                r.insert("end_sequence".into(), Value::from(true));
                rows.push(Value::Object(r));
                continue;
            }
            let file = self.file(row.file_index()).ok_or_else(|| {
                DumpError::section(
                    ".debug_line",
                    format!("a row names file {}, which is not listed", row.file_index()),
                )
            })?;
            if file != 0 {
                r.insert("file".into(), Value::from(file));
            }
            r.insert(
                "line".into(),
                Value::from(row.line().map_or(0, |l| l.get())),
            );
            if let gimli::ColumnType::Column(c) = row.column() {
                r.insert("column".into(), Value::from(c.get()));
            }
            if !row.is_stmt() {
                r.insert("is_stmt".into(), Value::from(false));
            }
            if row.discriminator() != 0 {
                self.drop("line-table discriminators (the description has none)");
            }
            rows.push(Value::Object(r));
        }
        Ok(rows)
    }

    /// A line-table string (inline, `.debug_str` or `.debug_line_str`).
    fn line_string(&self, value: AttributeValue<R<'a>>) -> Result<String> {
        let s = self
            .dwarf
            .attr_string(self.unit, value)
            .map_err(|e| line_error(&e))?;
        Ok(String::from_utf8_lossy(s.slice()).into_owned())
    }

    /// A row's address as (section, offset).
    fn line_place(&self, address: u64) -> Result<(usize, u64)> {
        super::split_address(self.object, address).ok_or_else(|| {
            DumpError::section(
                ".debug_line",
                format!("row address {address:#x} is not relocated against a section"),
            )
        })
    }
}

/// A gimli error while reading `.debug_line`.
fn line_error(e: &gimli::Error) -> DumpError {
    DumpError::section(
        ".debug_line",
        format!("cannot read the line table: {}", super::one_line(e)),
    )
}
