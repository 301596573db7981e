//! The demo: generates a deterministic dataset and serves it.

use crate::{cli::DemoArgs, config::Config};

pub async fn run(_config: Config, _args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("demo data generation is being written")
}
