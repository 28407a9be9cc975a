//! Running `wrk` (the load generator, from Debian's `wrk` package) and reading its report.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use shared::client::{self, ClientConfig};
use shared::{AuthorizationCode, CodeVerifier};

use crate::requests::{CLIENT_CREDENTIALS, RESOURCE_SERVER_BASIC};

/// Stands for the authorization code in the redemption script's template body.
const CODE: &str = "CODE-PLACEHOLDER";

/// How every load runs.
#[derive(Debug, Clone)]
pub struct Load {
    pub duration: Duration,
    pub connections: u32,
    /// Where the Lua scripts and code lists go.
    pub dir: PathBuf,
}

/// What `wrk --latency` reported.
#[derive(Debug, Clone)]
pub struct Run {
    pub requests: u64,
    pub non_2xx: u64,
    pub seconds: f64,
    pub p50: String,
    pub p99: String,
}

impl Run {
    /// Successful answers per second.
    #[expect(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    pub fn ok_per_sec(&self) -> f64 {
        (self.requests - self.non_2xx) as f64 / self.seconds
    }

    pub fn ok_rate(&self) -> String {
        format!("{:.0}", self.ok_per_sec())
    }

    /// Microseconds of a server's CPU time per request, of `cpu` seconds spent on this run.
    #[expect(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    pub fn cpu_micros_per_request(&self, cpu: f64) -> f64 {
        cpu * 1e6 / self.requests as f64
    }
}

/// The three loads the comparison with the peer is about, against one server: each run, or
/// what was measured around it (`R`).
#[derive(Debug)]
pub struct TokenRuns<R = Run> {
    pub credentials: R,
    pub redemption: R,
    pub introspection: R,
}

/// Where a server takes the loads of [`TokenRuns`].
#[derive(Debug)]
pub struct TokenServer<'a> {
    /// Its issuer; the token endpoint is `{base}/token`.
    pub base: &'a str,
    /// The path of its introspection endpoint.
    pub introspection_path: &'a str,
    /// The token it is asked about.
    pub introspected: &'a str,
}

impl Load {
    /// Client credentials, the redemption of `codes` (whose challenge is `verifier`'s) and
    /// introspection against `server`; `who` names it in the progress lines.
    pub fn token_loads(
        &self,
        who: &str,
        server: &TokenServer<'_>,
        codes: &[String],
        verifier: &CodeVerifier,
    ) -> Result<TokenRuns, String> {
        self.token_loads_measured(who, server, codes, verifier, |run| run())
    }

    /// [`token_loads`](Self::token_loads), each load run through `measure` (which runs it
    /// and returns what it measured around it).
    pub fn token_loads_measured<R>(
        &self,
        who: &str,
        server: &TokenServer<'_>,
        codes: &[String],
        verifier: &CodeVerifier,
        measure: impl Fn(&dyn Fn() -> Result<Run, String>) -> Result<R, String>,
    ) -> Result<TokenRuns<R>, String> {
        let token_url = format!("{}/token", server.base);
        say!("{who}: client credentials");
        let credentials = measure(&|| self.post(&token_url, CLIENT_CREDENTIALS, None))?;
        say!("{who}: code + PKCE redemption");
        let redemption = measure(&|| self.redeem(&token_url, codes, server.base, verifier))?;
        say!("{who}: introspection");
        let introspection = measure(&|| {
            self.post(
                &format!("{}{}", server.base, server.introspection_path),
                &format!("token={}", server.introspected),
                Some(RESOURCE_SERVER_BASIC),
            )
        })?;
        Ok(TokenRuns {
            credentials,
            redemption,
            introspection,
        })
    }

    /// `GET url`, with a bearer token if given.
    pub fn get(&self, url: &str, bearer: Option<&str>) -> Result<Run, String> {
        let mut args = Vec::new();
        if let Some(token) = bearer {
            args.extend(["-H".to_owned(), format!("Authorization: Bearer {token}")]);
        }
        self.run(url, &args)
    }

    /// `POST url` with a form `body`, and an `Authorization` header if given.
    pub fn post(&self, url: &str, body: &str, authorization: Option<&str>) -> Result<Run, String> {
        let header = authorization.map_or_else(String::new, |value| {
            format!("wrk.headers[\"Authorization\"] = {value:?}\n")
        });
        let script = format!(
            "wrk.method = \"POST\"\nwrk.body = {body:?}\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n{header}"
        );
        let path = self.dir.join("post.lua");
        std::fs::write(&path, script).map_err(|e| e.to_string())?;
        self.run(url, &["-s".to_owned(), path.display().to_string()])
    }

    /// Redeems `codes` (split between wrk's two threads, each code once) with `verifier`, as
    /// the demo client at `issuer` does.
    pub fn redeem(
        &self,
        url: &str,
        codes: &[String],
        issuer: &str,
        verifier: &CodeVerifier,
    ) -> Result<Run, String> {
        let base = self.dir.join("codes");
        for thread in 1..=2 {
            let mine: Vec<&str> = codes
                .iter()
                .skip(thread - 1)
                .step_by(2)
                .map(String::as_str)
                .collect();
            std::fs::write(format!("{}.{thread}", base.display()), mine.join("\n"))
                .map_err(|e| e.to_string())?;
        }
        // The client's own token request, the code spliced in by the script.
        let body = client::token_request_body(
            &ClientConfig::demo(issuer),
            &AuthorizationCode::new(CODE),
            verifier,
        );
        let (before, after) = body
            .split_once(CODE)
            .ok_or("the token request carries the code")?;
        let script = format!(
            r#"local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  codes = {{}}
  for line in io.lines(args[1] .. "." .. id) do codes[#codes + 1] = line end
  n = 0
end
function request()
  n = n + 1
  local code = codes[n] or "all-codes-used"
  return wrk.format("POST", nil, {{["Content-Type"] = "application/x-www-form-urlencoded"}},
    "{before}" .. code .. "{after}")
end
"#
        );
        let path = self.dir.join("redeem.lua");
        std::fs::write(&path, script).map_err(|e| e.to_string())?;
        self.run(
            url,
            &[
                "-s".to_owned(),
                path.display().to_string(),
                url.to_owned(),
                "--".to_owned(),
                base.display().to_string(),
            ],
        )
    }

    fn run(&self, url: &str, extra: &[String]) -> Result<Run, String> {
        let mut command = Command::new("wrk");
        command
            .arg("-t2")
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.duration.as_secs()))
            .arg("--latency")
            .args(extra);
        // With a script's own arguments, the URL is already among them.
        if !extra.iter().any(|a| a == "--") {
            command.arg(url);
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run wrk ({e}): install it with scripts/setup.sh"))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        parse(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}"))
    }
}

/// Reads `wrk --latency`'s report.
fn parse(text: &str) -> Option<Run> {
    let line_after = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix).map(str::trim))
    };
    // "123456 requests in 10.00s, 12.34MB read"
    let summary = text.lines().find(|line| line.contains(" requests in "))?;
    let mut words = summary.split_whitespace();
    let requests = words.next()?.parse().ok()?;
    let seconds = words
        .nth(2)?
        .trim_end_matches(',')
        .trim_end_matches('s')
        .parse()
        .ok()?;
    let non_2xx = line_after("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(Run {
        requests,
        non_2xx,
        seconds,
        p50: line_after("50%")?.to_owned(),
        p99: line_after("99%")?.to_owned(),
    })
}
