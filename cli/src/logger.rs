//! Log records of the library on stderr: warnings always, decisions with -v, the wire
//! trace (target `authgate::wire`) with --trace or -vv.

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Stderr {
    library: Level,
    wire: bool,
}

impl Log for Stderr {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        let target = m.target();
        if target == "authgate::wire" || target.starts_with("authgate::wire::") {
            return self.wire;
        }
        (target == "authgate" || target.starts_with("authgate::")) && m.level() <= self.library
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let mut err = std::io::stderr().lock();
            let mut text = record.args().to_string();
            if record.target().starts_with("authgate::wire") {
                // One record per step of an exchange, its parts on their own lines.
                text = text.replace(" | ", "\n    ");
            }
            let _ = writeln!(
                err,
                "[{} {}] {text}",
                record.level().as_str().to_ascii_lowercase(),
                record.target(),
            );
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: `trace` shows the wire, `verbose` 1 the library's decisions, 2 both.
pub fn install(trace: bool, verbose: u8) {
    let library = match verbose {
        0 => Level::Warn,
        1 => Level::Info,
        _ => Level::Debug,
    };
    let logger = Stderr {
        library,
        wire: trace || verbose >= 2,
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}
