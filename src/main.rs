//! The `v9bridge` binary: a thin shell over the library's command-line entry point.

fn main() -> std::process::ExitCode {
    v9bridge::cli::main()
}
