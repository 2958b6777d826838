//! The `shopkeep` binary: parse the command line, set up logging, hand over to [`shopkeep::cli::run`].

use clap::Parser;

/// mimalloc instead of glibc's malloc: a chat turn makes many small, short-lived allocations across threads, and
/// glibc's allocator was a quarter of the server's CPU under load (see BENCHMARKS.md, Conversations). Built with
/// `no_thp`: with transparent huge pages its arenas held ~60 MB more resident memory for a small catalog.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    quiet_on_closed_pipe();
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
        // The reader of our output stopped early (`| head`): not a failure.
        Err(error)
            if error.chain().any(|cause| {
                let kind = cause
                    .downcast_ref::<std::io::Error>()
                    .map(std::io::Error::kind)
                    .or_else(|| {
                        cause
                            .downcast_ref::<serde_json::Error>()
                            .and_then(serde_json::Error::io_error_kind)
                    });
                kind == Some(std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `shopkeep query … | head` closes the pipe early: `println!` then panics with EPIPE (Rust ignores SIGPIPE). That is
/// the reader saying "enough", not a failure: exit quietly instead of printing a panic. Every other panic goes to
/// the default hook.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
