//! Contacts as CSV: reading an import file (UTF-8 with or without BOM, header names
//! matched case-insensitively) and writing an export that spreadsheets cannot run.

use crate::http::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use coproof_core::contact::spreadsheet_safe;
use coproof_core::Refusal;
use coproof_store::contacts::guests::GuestInput;
use coproof_store::contacts::Contact;

/// The bytes of the file: the `file` part of a multipart form, or the whole body.
pub async fn file_of(request: Request, state: &AppState) -> Result<Vec<u8>, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    let too_large = |status: StatusCode, text: String| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::from(Refusal::PayloadTooLarge)
        } else {
            ApiError::invalid_input(text)
        }
    };
    if !is_multipart {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|r| too_large(r.status(), format!("cannot read the body: {r}")))?;
        return Ok(body.to_vec());
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|r| too_large(r.status(), format!("malformed multipart body: {r}")))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| too_large(e.status(), format!("malformed multipart body: {e}")))?
    {
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| too_large(e.status(), format!("cannot read the file: {e}")))?;
            return Ok(bytes.to_vec());
        }
    }
    Err(ApiError::invalid_input("the form has no part named file"))
}

/// Which column holds what, from the header row.
#[derive(Debug, Default)]
struct Columns {
    email: Option<usize>,
    name: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    company: Option<usize>,
    telephone: Option<usize>,
    mobile: Option<usize>,
}

fn normalized(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect()
}

impl Columns {
    fn of(headers: &csv::StringRecord) -> Result<Columns, ApiError> {
        let mut columns = Columns::default();
        for (i, h) in headers.iter().enumerate() {
            let slot = match normalized(h).as_str() {
                "email" | "emailaddress" => &mut columns.email,
                "name" | "fullname" => &mut columns.name,
                "firstname" => &mut columns.first_name,
                "lastname" => &mut columns.last_name,
                "company" => &mut columns.company,
                "telephone" | "phone" => &mut columns.telephone,
                "mobile" => &mut columns.mobile,
                _ => continue,
            };
            slot.get_or_insert(i);
        }
        if columns.email.is_none() {
            return Err(ApiError::invalid_input("the file has no Email column"));
        }
        if columns.name.is_none() && (columns.first_name.is_none() || columns.last_name.is_none()) {
            return Err(ApiError::invalid_input(
                "the file needs a Name column, or First Name and Last Name",
            ));
        }
        Ok(columns)
    }
}

/// The rows of an import file, each with its line (the header is line 1).
pub fn read(file: &[u8]) -> Result<Vec<(u64, GuestInput)>, ApiError> {
    let file = file.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(file);
    let text = std::str::from_utf8(file)
        .map_err(|_| ApiError::invalid_input("the file must be UTF-8 text"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ApiError::invalid_input(format!("cannot read the header row: {e}")))?
        .clone();
    let columns = Columns::of(&headers)?;
    let mut rows = Vec::new();
    let mut lines = Lines {
        text: text.as_bytes(),
        byte: 0,
        line: 1,
    };
    for record in reader.records() {
        let record = record.map_err(|e| ApiError::invalid_input(format!("malformed CSV: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default();
        let optional = |i: Option<usize>| Some(cell(i).to_string()).filter(|s| !s.is_empty());
        let name = match columns
            .name
            .map(|i| cell(Some(i)))
            .filter(|n| !n.is_empty())
        {
            Some(n) => n.to_string(),
            None => format!("{} {}", cell(columns.first_name), cell(columns.last_name))
                .trim()
                .to_string(),
        };
        rows.push((
            line,
            GuestInput {
                email: cell(columns.email).to_string(),
                name,
                company: optional(columns.company),
                telephone: optional(columns.telephone),
                mobile: optional(columns.mobile),
            },
        ));
    }
    Ok(rows)
}

/// Line numbers from byte offsets, counted forward once. The reader's own line count
/// is one short after a CRLF (it starts the record at the `\n`), so count here.
struct Lines<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line on which the record at `byte` starts (skipping a line end it begins with).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut target = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self
            .text
            .get(target)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            target += 1;
        }
        let target = target.min(self.text.len());
        if target > self.byte {
            let newlines = self.text[self.byte..target]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += newlines as u64;
            self.byte = target;
        }
        self.line
    }
}

/// The export file: a header row, then one row per contact.
pub fn write(contacts: &[Contact]) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::from(anyhow::anyhow!("writing CSV: {e}"));
    writer
        .write_record([
            "Email",
            "Name",
            "Company",
            "Telephone",
            "Mobile",
            "Kind",
            "Partnership",
            "Active",
        ])
        .map_err(fail)?;
    for c in contacts {
        let cells = [
            c.email.as_str(),
            c.name.as_str(),
            c.company.as_deref().unwrap_or_default(),
            c.telephone.as_deref().unwrap_or_default(),
            c.mobile.as_deref().unwrap_or_default(),
            c.kind.as_str(),
            c.partnership.map(|p| p.as_str()).unwrap_or_default(),
            if c.active { "yes" } else { "no" },
        ];
        writer
            .write_record(cells.iter().map(|cell| spreadsheet_safe(cell).into_owned()))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::from(anyhow::anyhow!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_last_names_make_a_name_and_headers_ignore_case() {
        let rows =
            read(b"\xEF\xBB\xBFE-MAIL,first name,LAST_NAME\r\na@x.example,Ann,Lee\r\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.name, "Ann Lee");
        assert_eq!(rows[0].1.email, "a@x.example");
    }

    #[test]
    fn rows_are_numbered_by_the_line_they_start_on() {
        let rows =
            read(b"Email,Name,Note\na@x.example,A,\"two\nlines\"\nb@x.example,B,\n").unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4]);
        let crlf =
            b"Email,Name\r\na@x.example,A\r\nb@x.example,\"B\r\nC\"\r\n\r\nc@x.example,C\r\n";
        let rows = read(crlf).unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 6]);
    }

    #[test]
    fn a_file_without_email_or_name_is_refused() {
        assert!(read(b"Name\nAnn\n").is_err());
        assert!(read(b"Email,First Name\na@x.example,Ann\n").is_err());
        assert!(read(b"Email,Name\n\xff\xfe,x\n").is_err());
    }
}
