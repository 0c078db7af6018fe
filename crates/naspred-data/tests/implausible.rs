//! Loaders refuse implausible data with the file and line, count lines as an editor does
//! (CRLF too), and report reference files that are shorter than they should be. Fixtures are
//! cut from the repository's real files.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use naspred_data::shared::{self, NB101_FILE, NLP_FILE};
use naspred_data::{DataError, DataRoot, Dataset};
use naspred_spaces::SpaceKind;

fn temp_root(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-implausible-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The decompressed text of a file of the repository's data/.
fn repo_text(rel: &str) -> String {
    let path = DataRoot::resolve(None).file(rel).unwrap();
    let mut text = String::new();
    MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The first `rows` data lines of the NB101 file (header included).
fn nb101_lines(rows: usize) -> Vec<String> {
    repo_text(NB101_FILE)
        .lines()
        .take(rows + 1)
        .map(String::from)
        .collect()
}

fn write(root: &Path, rel: &str, lines: &[String], eol: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|l| format!("{l}{eol}")).collect();
    std::fs::write(p, text).unwrap();
}

/// `(location, reason)` of a format error.
fn format_error(e: DataError) -> (String, String) {
    match e {
        DataError::Format {
            location, reason, ..
        } => (location, reason),
        other => panic!("expected a format error, got {other}"),
    }
}

/// Replaces field `col` (0-based) of line `line` (1-based, the header is line 1).
fn set_field(lines: &mut [String], line: usize, col: usize, value: &str) {
    // The ops field is quoted and holds commas; the numeric fields come before it.
    let mut fields: Vec<String> = lines[line - 1]
        .splitn(col + 2, ',')
        .map(String::from)
        .collect();
    fields[col] = value.to_string();
    lines[line - 1] = fields.join(",");
}

#[test]
fn implausible_accuracies_are_errors_naming_file_and_line() {
    for bad in ["nan", "inf", "-1e9", "1.5"] {
        let root = temp_root(&format!("acc-{bad}"));
        let mut lines = nb101_lines(30);
        // Column 4 is val_acc_108ep (a fraction).
        set_field(&mut lines, 7, 4, bad);
        write(&root, NB101_FILE, &lines, "\n");
        let e = shared::load_nb101(&DataRoot::new(&root)).unwrap_err();
        let (loc, reason) = format_error(e);
        assert_eq!(loc, "line 7, column val_acc_108ep", "{bad}");
        assert!(reason.contains("[0, 1]"), "{bad}: {reason}");
    }
    let root = temp_root("naslib");
    let mut lines: Vec<String> = repo_text("naslib_zc/sample_nb301_cifar10_accuracy.csv")
        .lines()
        .take(12)
        .map(String::from)
        .collect();
    let last = lines[9].rfind(',').unwrap();
    lines[9] = format!("{},101.5", &lines[9][..last]);
    write(
        &root,
        "naslib_zc/sample_nb301_cifar10_accuracy.csv",
        &lines,
        "\n",
    );
    let e = shared::load_naslib_sample(&DataRoot::new(&root), SpaceKind::Darts, Dataset::Cifar10)
        .unwrap_err();
    assert_eq!(format_error(e).0, "line 10, column val_accuracy");
}

#[test]
fn a_repeated_nb101_architecture_is_an_error_naming_both_lines() {
    let root = temp_root("dup");
    let mut lines = nb101_lines(30);
    lines.push(lines[4].clone()); // line 5 again, as line 32
    write(&root, NB101_FILE, &lines, "\n");
    let (loc, reason) = format_error(shared::load_nb101(&DataRoot::new(&root)).unwrap_err());
    assert_eq!(loc, "line 32");
    assert!(reason.contains("line 5"), "{reason}");
}

#[test]
fn crlf_files_report_the_lines_an_editor_shows() {
    let root = temp_root("crlf");
    let mut lines = nb101_lines(30);
    set_field(&mut lines, 4, 1, "abc");
    write(&root, NB101_FILE, &lines, "\r\n");
    let (loc, _) = format_error(shared::load_nb101(&DataRoot::new(&root)).unwrap_err());
    assert_eq!(loc, "line 4, column val_acc_4ep");
    // A well-formed CRLF file loads as its LF twin does.
    let lines = nb101_lines(30);
    write(&root, NB101_FILE, &lines, "\r\n");
    let crlf = shared::load_nb101(&DataRoot::new(&root)).unwrap();
    let lf_root = temp_root("lf");
    write(&lf_root, NB101_FILE, &lines, "\n");
    let lf = shared::load_nb101(&DataRoot::new(&lf_root)).unwrap();
    assert_eq!(crlf.records(), lf.records());
}

#[test]
fn non_utf8_csv_names_its_line() {
    let root = temp_root("utf8");
    let lines = nb101_lines(10);
    let mut bytes: Vec<u8> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 5 {
            bytes.extend_from_slice(b"\xff\xfe");
        }
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    let p = root.join(NB101_FILE);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    let (loc, reason) = format_error(shared::load_nb101(&DataRoot::new(&root)).unwrap_err());
    assert_eq!(loc, "line 6");
    assert!(reason.contains("UTF-8"), "{reason}");
}

#[test]
fn files_cut_at_a_line_boundary_are_reported() {
    let root = temp_root("cut");
    write(&root, NB101_FILE, &nb101_lines(500), "\n");
    let nlp: Vec<String> = repo_text(NLP_FILE)
        .lines()
        .take(40)
        .map(String::from)
        .collect();
    // Plain text under the .gz name: data files are read by their magic bytes, not names.
    write(&root, NLP_FILE, &nlp, "\n");
    let root = DataRoot::new(&root);
    let nb101 = shared::load_nb101(&root).unwrap();
    assert_eq!(nb101.len(), 500);
    assert_eq!(nb101.warnings().len(), 1, "{:?}", nb101.warnings());
    assert!(nb101.warnings()[0].contains("500 architectures, fewer than the 20001"));
    let nlp = shared::load_nlp(&root).unwrap();
    assert_eq!(nlp.warnings().len(), 1, "{:?}", nlp.warnings());
    assert!(nlp.warnings()[0].contains("40 runs, fewer than the 345"));
    // The whole reference files raise nothing.
    let full = DataRoot::resolve(None);
    assert!(shared::load_nb101(&full).unwrap().warnings().is_empty());
    assert!(shared::load_nlp(&full).unwrap().warnings().is_empty());
}
