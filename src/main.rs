//! The `shopkeep` binary: parse the command line, set up logging, hand over to [`shopkeep::cli::run`].

use clap::Parser;

/// mimalloc instead of glibc's malloc: a chat turn makes many small, short-lived allocations across threads, and
/// glibc's allocator was a quarter of the server's CPU under load (see BENCHMARKS.md, Conversations). Built with
/// `no_thp`: with transparent huge pages its arenas held ~60 MB more resident memory for a small catalog.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "shopkeep=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log file or a collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match shopkeep::cli::run(shopkeep::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
