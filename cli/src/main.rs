//! The `authgate` binary: see the `authgate_cli` library for the tool itself.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(authgate_cli::run(std::env::args_os()))
}
