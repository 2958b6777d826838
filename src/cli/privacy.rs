//! `shopkeep sign-customer`: what a shop's server computes for `data-customer-signature`, for trying it out.

/// Sign a customer id with the shop's secret, as the shop's server does for `data-customer-signature`.
#[derive(Debug, clap::Args)]
pub struct SignCustomerArgs {
    /// The shop's customer id.
    pub customer: String,
    /// The secret the server runs with (`serve --customer-secret`).
    #[arg(long, env = "SHOPKEEP_CUSTOMER_SECRET", hide_env_values = true)]
    pub customer_secret: String,
}

pub(super) fn sign_customer(args: SignCustomerArgs) -> anyhow::Result<()> {
    if args.customer_secret.trim().is_empty() {
        anyhow::bail!(
            "the customer secret is empty; pass --customer-secret or set SHOPKEEP_CUSTOMER_SECRET"
        );
    }
    println!(
        "{}",
        crate::secret::sign_customer(&args.customer_secret, &args.customer)
    );
    Ok(())
}
