//! Test harness (zero2prod's `spawn_app`): the real broker on
//! `127.0.0.1:0` over a fresh database, and devices that talk to it with a
//! real HTTP client, real keys and real sealed packets.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_broker::app::Application;
use referral_broker::config::{Config, ConfigLayer};
use referral_broker::state::now;
use referral_protocol::api::{
    self, ChallengeResponse, DirectoryPage, InviteResponse, PendingRequest, RequestKind,
    RequestReceipt, StagedTokenKey, TokenResponse,
};
use referral_protocol::directory::{Entry, Statement, VerifiedLog, enrollment_proof};
use referral_protocol::{
    AgeIdentity, Attachment, ContentType, DeskId, DeviceId, Fingerprint, PacketId, RecipientKey,
    RequestId, Role, SealRequest, Sender, SigningKey, ThreadId, seal,
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running broker.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub data_dir: PathBuf,
    pub config: Config,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<referral_store::postgres::test_support::FreshDatabase>,
    /// Who [`TestApp::directory`] reads as once the broker is claimed: the
    /// device that claimed it, and its last token (ADR 0019 §3: the
    /// directory is for devices and invite holders only).
    reader: std::sync::Arc<std::sync::Mutex<Reader>>,
}

/// The claiming device's id and key, and a token kept between reads so that
/// reading the directory does not spend from the unauthenticated limit.
#[derive(Default)]
struct Reader {
    device: Option<(DeviceId, SigningKey)>,
    token: Option<String>,
}

impl TestApp {
    /// A broker on a fresh SQLite database; `None` never happens for SQLite.
    pub async fn spawn() -> TestApp {
        Self::spawn_on(Db::Sqlite, ConfigLayer::default())
            .await
            .expect("sqlite always runs")
    }

    /// A broker on a fresh database of the given kind with extra settings.
    /// `None` when PostgreSQL is unreachable outside CI (the harness has
    /// already printed a loud SKIPPED banner).
    pub async fn spawn_on(db: Db, settings: ConfigLayer) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("tempdir");
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres => {
                Some(referral_store::postgres::test_support::FreshDatabase::create().await?)
            }
        };
        let base = ConfigLayer {
            data_dir: Some(dir.path().join("data")),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            database_url: pg.as_ref().map(|p| p.url().to_owned()),
            ..ConfigLayer::default()
        };
        let config = base.overridden_by(settings).resolve().expect("test config");
        let mut app = Self::start(config).await;
        app._dir = Some(dir);
        app._pg = pg;
        Some(app)
    }

    /// Starts a broker on an existing configuration (restart tests).
    pub async fn start(config: Config) -> TestApp {
        let application = Application::build(&config).await.expect("build the broker");
        let addr = application.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestApp {
            addr,
            base: format!("http://{addr}"),
            data_dir: config.data_dir.clone(),
            config,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
            _dir: None,
            _pg: None,
            reader: Default::default(),
        }
    }

    /// Stops the broker and waits for it to finish (graceful shutdown).
    /// Keeps the data directory and database for a restart.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("join")
                .expect("the broker stopped cleanly");
        }
    }

    /// Stops this broker and starts a new one on the same data.
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// [`TestApp::restart`] with settings changed by `change` (a test that
    /// sets a deployment up freely, then runs it under tight limits).
    pub async fn restart_with(mut self, change: impl FnOnce(&mut Config)) -> TestApp {
        self.stop().await;
        let mut config = self.config.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        change(&mut config);
        let mut next = Self::start(config).await;
        next._dir = self._dir.take();
        next._pg = self._pg.take();
        next.reader = std::sync::Arc::clone(&self.reader);
        next
    }

    /// A second broker over this one's database and settings (SPEC §8's
    /// scale-out), reading the directory as this one's claiming device.
    pub async fn beside(&self) -> TestApp {
        let mut two = Self::start(self.config.clone()).await;
        two.reader = std::sync::Arc::clone(&self.reader);
        two
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The bootstrap code the broker wrote on first start.
    pub fn bootstrap_code(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("bootstrap-code"))
            .expect("bootstrap-code file")
            .trim()
            .to_owned()
    }

    /// The directory as the broker serves it, verified from its genesis
    /// (what a client does; the harness pins nothing: tests that care
    /// compare the root themselves). Read with the claiming device's token
    /// once there is one (the directory is not public).
    pub async fn directory(&self) -> VerifiedLog {
        let page: DirectoryPage = self.read_directory("").await;
        let entries = page
            .entries
            .iter()
            .map(|e| Entry::from_base64(e).expect("a canonical entry"))
            .collect();
        VerifiedLog::from_genesis(entries, None).expect("the served directory verifies")
    }

    /// `GET /v1/directory{query}` as the claiming device (anonymously
    /// before the claim), getting a new token when the kept one is refused;
    /// the status and the JSON body.
    pub async fn get_directory(&self, query: &str) -> (StatusCode, Value) {
        let path = format!("/v1/directory{query}");
        let mut retried = false;
        loop {
            let token = self.reader_token().await;
            let mut request = self.http.get(self.url(&path));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let res = request.send().await.unwrap();
            let status = res.status();
            let body = res.json().await.unwrap_or(Value::Null);
            if token.is_some() && status == StatusCode::UNAUTHORIZED && !retried {
                // The kept token is refused (expired, its key retired): fetch
                // a new one once; a fresh one refused is the answer.
                self.reader.lock().unwrap().token = None;
                retried = true;
                continue;
            }
            return (status, body);
        }
    }

    async fn read_directory(&self, query: &str) -> DirectoryPage {
        let (status, body) = self.get_directory(query).await;
        assert_eq!(status, StatusCode::OK, "GET /v1/directory{query}: {body}");
        serde_json::from_value(body).unwrap()
    }

    /// The kept reader token, fetched if there is none; `None` before the
    /// claim.
    async fn reader_token(&self) -> Option<String> {
        let (device, kept) = {
            let reader = self.reader.lock().unwrap();
            let device = reader.device.as_ref().map(|(id, key)| {
                let key = SigningKey::from_pkcs8(key.pkcs8().expose_secret()).unwrap();
                (*id, key)
            });
            (device, reader.token.clone())
        };
        let (id, key) = device?;
        if kept.is_some() {
            return kept;
        }
        let device = TestDevice {
            id,
            key,
            ..TestDevice::new(None)
        };
        let token = device.token(self).await;
        self.reader.lock().unwrap().token = Some(token.clone());
        Some(token)
    }

    /// Signs `statement` as the next entry after the served head.
    pub async fn next_entry(&self, signer: &SigningKey, statement: Statement) -> Entry {
        let log = self.directory().await;
        sign_after(&log, signer, statement)
    }

    /// POSTs an entry; the status and the JSON body.
    pub async fn post_entry(
        &self,
        token: &str,
        entry: &Entry,
        request: Option<RequestId>,
    ) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.url("/v1/directory"))
            .bearer_auth(token)
            .json(&json!({"entry": entry.to_base64(), "request_id": request}))
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Signs `statement` with `admin`'s key at the head and appends it.
    pub async fn append(
        &self,
        admin: &TestDevice,
        token: &str,
        statement: Statement,
        request: Option<RequestId>,
    ) {
        let entry = self.next_entry(&admin.key, statement).await;
        let (status, body) = self.post_entry(token, &entry, request).await;
        assert_eq!(status, StatusCode::CREATED, "append: {body}");
    }

    /// Claims the broker with a fresh admin device: its key signs the
    /// genesis entry and becomes the root.
    pub async fn bootstrap_admin(&self) -> TestDevice {
        let admin = TestDevice::new(None);
        let (status, body) = self.bootstrap_with(&admin, &self.bootstrap_code()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            body["root_fingerprint"],
            Fingerprint::of_root(&admin.key.verifying_key()).hex()
        );
        admin
    }

    /// POSTs a bootstrap for `admin` with `code`; the status and body.
    pub async fn bootstrap_with(&self, admin: &TestDevice, code: &str) -> (StatusCode, Value) {
        let genesis = genesis_of(&admin.key);
        let res = self
            .http
            .post(self.url("/v1/admin/bootstrap"))
            .json(&json!({
                "code": code,
                "device_id": admin.id,
                "age_recipient": admin.recipient(),
                "genesis": genesis.to_base64(),
            }))
            .send()
            .await
            .unwrap();
        let status = res.status();
        if status == StatusCode::CREATED {
            let key = SigningKey::from_pkcs8(admin.key.pkcs8().expose_secret()).unwrap();
            *self.reader.lock().unwrap() = Reader {
                device: Some((admin.id, key)),
                token: None,
            };
        }
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates a desk as `admin`: a signed `DeskCreated` entry.
    pub async fn create_desk(&self, admin: &TestDevice, desk: &str) {
        let token = admin.token(self).await;
        let statement = Statement::DeskCreated {
            desk: desk.parse().unwrap(),
            name: format!("{desk} office"),
            prefecture: None,
            languages: None,
        };
        self.append(admin, &token, statement, None).await;
    }

    /// An invite code for `desk` and `role`, made with an admin's token.
    pub async fn invite(&self, token: &str, desk: &str, role: Role) -> String {
        let res = self
            .http
            .post(self.url("/v1/admin/invites"))
            .bearer_auth(token)
            .json(&json!({"desk": desk, "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let invite: InviteResponse = res.json().await.unwrap();
        invite.code
    }

    /// `device` asks to join `desk` as `role` with `code`; the raw answer.
    pub async fn request_enrollment(
        &self,
        device: &TestDevice,
        code: &str,
        desk: &str,
        role: Role,
    ) -> (StatusCode, Value) {
        let desk: DeskId = desk.parse().unwrap();
        let proof = enrollment_proof(
            &device.id,
            Some(&desk),
            role,
            &device.key.verifying_key(),
            &device.recipient(),
            Some(&device.pq_recipient()),
            &device.key,
        );
        let res = self
            .http
            .post(self.url("/v1/enrollments"))
            .json(&json!({
                "code": code,
                "device_id": device.id,
                "signing_key": device.key.verifying_key(),
                "age_recipient": device.recipient(),
                "pq_recipient": device.pq_recipient(),
                "device_signature": STANDARD.encode(proof),
            }))
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A pending request, as an administrator reads it.
    pub async fn pending_request(&self, token: &str, id: RequestId) -> PendingRequest {
        let (status, body) = get_json(self, token, &format!("/v1/admin/requests/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    /// Approves request `id` the way `referral admin approve` does: reads it,
    /// checks the fingerprint it was told, and signs the entry from the
    /// request's own fields.
    pub async fn approve(
        &self,
        admin: &TestDevice,
        token: &str,
        id: RequestId,
        fingerprint: &Fingerprint,
    ) {
        let statement = self.approval_of(token, id, fingerprint).await;
        self.append(admin, token, statement, Some(id)).await;
    }

    /// The statement that approves request `id`.
    pub async fn approval_of(
        &self,
        token: &str,
        id: RequestId,
        fingerprint: &Fingerprint,
    ) -> Statement {
        let r = self.pending_request(token, id).await;
        assert_eq!(
            Fingerprint::of_device(&r.signing_key, &r.age_recipient, r.pq_recipient.as_ref()),
            *fingerprint,
            "the fingerprint the device showed"
        );
        let sig = |s: &Option<String>| -> [u8; 64] {
            STANDARD
                .decode(s.as_deref().expect("signature"))
                .unwrap()
                .try_into()
                .unwrap()
        };
        match r.kind {
            RequestKind::Enrollment => Statement::DeviceEnrolled {
                device: r.device_id,
                desk: r.desk,
                role: r.role,
                signing_key: r.signing_key,
                age_recipient: r.age_recipient,
                pq_recipient: r.pq_recipient,
                device_signature: sig(&r.device_signature),
            },
            RequestKind::Rotation => Statement::DeviceRotated {
                device: r.device_id,
                signing_key: r.signing_key,
                age_recipient: r.age_recipient,
                pq_recipient: r.pq_recipient,
                old_key_signature: sig(&r.old_key_signature),
                new_key_signature: sig(&r.new_key_signature),
            },
        }
    }

    /// Enrolls `device` at its desk as `role`: invite, request, approval.
    pub async fn enroll_device(&self, admin: &TestDevice, device: &TestDevice, role: Role) {
        let token = admin.token(self).await;
        let desk = device.desk.as_ref().expect("a desk device").to_string();
        let code = self.invite(&token, &desk, role).await;
        let (status, body) = self.request_enrollment(device, &code, &desk, role).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let receipt: RequestReceipt = serde_json::from_value(body).unwrap();
        self.approve(admin, &token, receipt.request_id, &receipt.fingerprint)
            .await;
    }

    /// Enrolls a new device of `role` at `desk`.
    pub async fn enroll(&self, admin: &TestDevice, desk: &str, role: &str) -> TestDevice {
        let device = TestDevice::new(Some(desk.parse().unwrap()));
        self.enroll_device(admin, &device, role.parse().unwrap())
            .await;
        device
    }

    /// Revokes `device` with a signed `DeviceRevoked` entry.
    pub async fn revoke(&self, admin: &TestDevice, device: DeviceId) {
        let token = admin.token(self).await;
        self.append(admin, &token, Statement::DeviceRevoked { device }, None)
            .await;
    }

    /// Rotates the broker's token key: stage, then a `TokenKeyRotated`
    /// entry. Returns the new kid.
    pub async fn rotate_token_key(&self, admin: &TestDevice) -> String {
        let token = admin.token(self).await;
        let res = self
            .http
            .post(self.url("/v1/admin/token-keys"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let staged: StagedTokenKey = res.json().await.unwrap();
        let statement = Statement::TokenKeyRotated {
            kid: staged.kid.clone(),
            public_key: staged.public_key,
        };
        self.append(admin, &token, statement, None).await;
        staged.kid
    }

    /// A claimed broker with two desks and one device on each:
    /// (admin, caseworker at covic-intake, desk member at shinjuku-iea).
    pub async fn with_two_desks(&self) -> (TestDevice, TestDevice, TestDevice) {
        let admin = self.bootstrap_admin().await;
        self.create_desk(&admin, "covic-intake").await;
        self.create_desk(&admin, "shinjuku-iea").await;
        let caseworker = self.enroll(&admin, "covic-intake", "caseworker").await;
        let desk = self.enroll(&admin, "shinjuku-iea", "desk").await;
        (admin, caseworker, desk)
    }
}

/// The genesis entry a bootstrap carries, signed by the root itself.
pub fn genesis_of(root: &SigningKey) -> Entry {
    let statement = Statement::Genesis {
        root: root.verifying_key(),
    };
    Entry::sign(0, [0; 32], now(), statement, root, None).unwrap()
}

/// `statement` signed by `signer` as the successor of `log`'s head.
pub fn sign_after(log: &VerifiedLog, signer: &SigningKey, statement: Statement) -> Entry {
    let head = log.head();
    Entry::sign(head.seq + 1, head.hash, now(), statement, signer, None).unwrap()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A device with real keys.
pub struct TestDevice {
    pub id: DeviceId,
    pub desk: Option<DeskId>,
    pub key: SigningKey,
    /// The X25519 identity the broker tests' packets are sealed to.
    pub identity: AgeIdentity,
    /// The hybrid identity every device also names (ADR 0020).
    pub pq: AgeIdentity,
}

impl TestDevice {
    pub fn new(desk: Option<DeskId>) -> Self {
        Self {
            id: DeviceId::random(),
            desk,
            key: SigningKey::generate().unwrap(),
            identity: AgeIdentity::generate_classic(),
            pq: AgeIdentity::generate_post_quantum(),
        }
    }

    pub fn recipient(&self) -> RecipientKey {
        self.identity.recipient()
    }

    pub fn pq_recipient(&self) -> RecipientKey {
        self.pq.recipient()
    }

    /// The fingerprint an administrator compares for this device's keys.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_device(
            &self.key.verifying_key(),
            &self.recipient(),
            Some(&self.pq_recipient()),
        )
    }

    /// Challenge, sign, token.
    pub async fn token(&self, app: &TestApp) -> String {
        let (status, body) = try_token(app, self).await;
        assert_eq!(status, StatusCode::OK, "token: {body}");
        let token: TokenResponse = serde_json::from_value(body).unwrap();
        token.token
    }

    /// Seals `content` from this device to `to` (a recipient desk member).
    pub fn seal_to(
        &self,
        to: &TestDevice,
        packet_id: PacketId,
        thread: ThreadId,
        content: &[u8],
    ) -> Vec<u8> {
        self.seal_with(to, packet_id, thread, content, &[])
    }

    /// [`TestDevice::seal_to`] with attachments (to make large packets).
    pub fn seal_with(
        &self,
        to: &TestDevice,
        packet_id: PacketId,
        thread: ThreadId,
        content: &[u8],
        attachments: &[Attachment],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        seal(
            &SealRequest {
                packet_id,
                thread_id: thread,
                created_at: 1_700_000_000,
                sender: Sender {
                    device: self.id,
                    desk: self.desk.clone().unwrap(),
                    key: &self.key,
                },
                recipient_desk: to.desk.clone().unwrap(),
                recipients: vec![to.recipient(), self.recipient()],
                content_type: ContentType::referral_v1(),
                content,
                attachments,
            },
            &mut out,
        )
        .unwrap();
        out
    }
}

/// Challenge, sign with `device`'s key, ask for a token: the raw answer.
pub async fn try_token(app: &TestApp, device: &TestDevice) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url("/v1/auth/challenge"))
        .json(&json!({"device_id": device.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "challenge");
    let challenge: ChallengeResponse = res.json().await.unwrap();
    let raw = STANDARD.decode(&challenge.challenge).unwrap();
    let signature = device
        .key
        .sign(&api::challenge_message(&challenge.issuer, &device.id, &raw));
    let res = app
        .http
        .post(app.url("/v1/auth/token"))
        .json(&json!({
            "device_id": device.id,
            "challenge": challenge.challenge,
            "signature": STANDARD.encode(signature),
        }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Routing headers for a packet upload.
pub struct Upload<'a> {
    pub id: PacketId,
    pub thread: ThreadId,
    pub to: &'a str,
    pub kind: &'a str,
    pub status: Option<&'a str>,
    pub forwards: Option<ThreadId>,
}

impl<'a> Upload<'a> {
    pub fn referral(id: PacketId, thread: ThreadId, to: &'a str) -> Self {
        Self {
            id,
            thread,
            to,
            kind: "referral",
            status: None,
            forwards: None,
        }
    }
}

/// POSTs a packet; returns the status and the JSON body.
pub async fn post_packet(
    app: &TestApp,
    token: &str,
    up: &Upload<'_>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(app.url("/v1/packets"))
        .bearer_auth(token)
        .header(api::HEADER_PACKET_ID, up.id.to_string())
        .header(api::HEADER_THREAD_ID, up.thread.to_string())
        .header(api::HEADER_RECIPIENT_DESK, up.to)
        .header(api::HEADER_KIND, up.kind)
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(s) = up.status {
        req = req.header(api::HEADER_THREAD_STATUS, s);
    }
    if let Some(f) = up.forwards {
        req = req.header(api::HEADER_FORWARDS, f.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Asserts a 4xx answer in the `{"error","message"}` shape with `code`.
pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "body: {body}");
    assert_eq!(body["error"], code, "body: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "body: {body}"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only error and message: {body}"
    );
}

/// GET `path` with a bearer token; the status and the JSON body (`Null` if
/// the body is not JSON).
pub async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json::<Value>().await.unwrap_or(Value::Null))
}

/// The entries of a desk's inbox, oldest first.
pub async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = get_json(app, token, "/v1/inbox").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["packets"].as_array().expect("packets list").clone()
}
