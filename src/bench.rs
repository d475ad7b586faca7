//! `khub bench`: seeds a database and measures (filled in below).
use crate::config::Settings;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Members to create.
    #[arg(long, default_value_t = 10_000)]
    pub members: usize,
    /// Posts to create.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
}

pub async fn run(_settings: Settings, _args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
