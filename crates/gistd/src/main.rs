//! The `gistd` binary: parses the command line and hands over to [`gistd::cli`].

fn main() -> std::process::ExitCode {
    gistd::cli::main()
}
