"""The credential detector: what counts as a credential in a container's environment and command
line, what does not (decoys), and that it never gives the value back.

Every credential below is fake. Vendor prefixes are assembled at run time so that secret scanners
reading this file do not mistake the samples for leaks.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from azaudit.detect.credentials import CommandCredential, classify_command, classify_env_value

FAKE = "FakeTestOnly"
STORAGE_KEY = base64.b64encode(hashlib.sha512(b"fake storage key").digest()).decode()  # 88 chars, "=="
LAYER_DIGEST = hashlib.sha256(b"harmless image layer").hexdigest()
LAYER_DIGEST_B64 = base64.b64encode(LAYER_DIGEST.encode()).decode()  # also 88 chars ending "==", but text
JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJmYWtlLXRlc3Qtb25seSIsImF1ZCI6ImF6YXVkaXQifQ"
    ".RmFrZVNpZ25hdHVyZUZvclRlc3RzT25seQ"
)
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAFakeTestOnly\n-----END RSA PRIVATE KEY-----"
PEM_B64 = base64.b64encode(PEM.encode()).decode()
SAS = "sv=2024-11-04&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&sig=RmFrZVNhc1NpZ25hdHVyZUZvclRlc3Rz%3D"
STORAGE_CONNECTION = (
    "DefaultEndpointsProtocol=https;AccountName=contosofake;AccountKey="
    + STORAGE_KEY
    + ";EndpointSuffix=core.windows.net"
)
SERVICE_BUS = (
    "Endpoint=sb://contoso-fake.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=RmFrZVNoYXJlZEFjY2Vzc0tleUZvclRlc3Rz="
)
SQL = "Server=tcp:contoso-fake.database.windows.net,1433;Database=orders;User ID=app;Password=Fak3-Pa55w0rd!;"
REDIS = "contoso-fake.redis.cache.windows.net:6380,password=Fak3RedisKey,ssl=True"
SQL_WITHOUT_PASSWORD = "Server=tcp:db.contoso.example;Database=orders;Authentication=Active Directory Default"
APP_INSIGHTS = (
    "InstrumentationKey=0f8fad5b-d9cb-469f-a165-70867728950e;"
    "IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"
)
GITHUB = "ghp" + "_" + "FakeTestOnlyFakeTestOnlyFakeTestOnly0000"
GITHUB_PAT = "github" + "_pat_" + "11FAKE0000000000000000_FakeTestOnlyFakeTestOnly"
GITLAB = "glpat" + "-" + "FakeTestOnlyFake0000"
AWS = "AKIA" + "IOSFODNN7EXAMPLE"
SLACK = "xoxb" + "-000000000000-000000000000-FakeTestOnly"
STRIPE = "sk" + "_live_" + "FakeTestOnlyFakeTestOnly"
GOOGLE = "AIza" + "SyFakeTestOnlyFakeTestOnlyFakeTest0"  # 35 characters after AIza
ENTRA_SECRET = "Abc8Q~" + "FakeTestOnlyFakeTestOnlyFake.0000"


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        # Judged by the value, whatever the name.
        ("STORAGE_CONNECTION", STORAGE_CONNECTION, "storage-connection-string"),
        ("SERVICEBUS", SERVICE_BUS, "connection-string-key"),
        ("ConnectionStrings__Orders", SQL, "connection-string-password"),
        ("REDIS", REDIS, "connection-string-password"),
        ("UPLOAD_SAS", SAS, "sas-token"),
        ("UPLOAD_URL", "https://contosofake.blob.core.windows.net/uploads?" + SAS, "sas-token"),
        ("AZURE_STORAGE_KEY", STORAGE_KEY, "azure-storage-key"),
        ("SOMETHING", STORAGE_KEY, "azure-storage-key"),
        ("ID_TOKEN", JWT, "jwt"),
        ("TLS_KEY", PEM, "private-key"),
        ("TLS_KEY_B64", PEM_B64, "private-key"),
        ("DATABASE_URL", "postgres://app:Fak3-Pa55@db.contoso.example:5432/orders", "url-with-password"),
        ("BROKER", "amqps://svc:Fak3Pa55word@mq.contoso.example/vhost", "url-with-password"),
        ("FEED", "https://api.contoso.example/v1/feed?api_key=FakeTestOnly1234", "url-with-secret"),
        ("GH", GITHUB, "github-token"),
        ("GH", GITHUB_PAT, "github-token"),
        ("GL", GITLAB, "gitlab-token"),
        ("AWS_ACCESS_KEY_ID", AWS, "aws-access-key"),
        ("SLACK", SLACK, "slack-token"),
        ("PAYMENTS", STRIPE, "stripe-key"),
        ("MAPS", GOOGLE, "google-api-key"),
        ("AZURE_CLIENT_SECRET", ENTRA_SECRET, "azure-client-secret"),
        # Judged by the name: a secret-like name with a non-trivial value.
        ("DB_PASSWORD", "Fak3-Pa55w0rd", "secret-named-variable"),
        ("MYSQL_ROOT_PASSWORD", "changeme", "secret-named-variable"),  # a default password is still one
        ("PGPASSWORD", "FakeTestOnly", "secret-named-variable"),
        ("clientSecret", "FakeTestOnlyValue", "secret-named-variable"),
        ("AZURE_CLIENT_SECRET", "0f8fad5b-d9cb-469f-a165-70867728950e", "secret-named-variable"),
        ("jwt-signing-key", "FakeTestOnlyKey", "secret-named-variable"),
        ("SECRET_KEY_BASE", "f" * 12 + LAYER_DIGEST, "secret-named-variable"),
        ("app.credential", "FakeTestOnlyValue", "secret-named-variable"),
        ("API_KEY", "FakeTestOnly0123", "generic-api-key"),
        ("APIKEY_PROD", "FakeTestOnly0123", "generic-api-key"),
        ("X-Api-Key", "FakeTestOnly0123", "generic-api-key"),
        ("STRIPE_KEY", "Fake_Test-Only_0123456789", "secret-named-variable"),  # a KEY that looks generated
        # Decoys: not credentials.
        ("LAYER_DIGEST_B64", LAYER_DIGEST_B64, None),  # base64 of text, not of random bytes
        ("IMAGE_DIGEST", "sha256:" + LAYER_DIGEST, None),
        ("GIT_COMMIT", "9fceb02d0ae598e95dc970b74767f19372d61af8", None),
        ("CLIENT_ID", "0f8fad5b-d9cb-469f-a165-70867728950e", None),
        ("LOG_LEVEL", "debug", None),
        ("PASSWORD_FILE", "/run/secrets/db", None),
        ("CLIENT_SECRET_FILE", "/mnt/secrets/client-secret", None),
        ("DB_PASSWORD", "@Microsoft.KeyVault(SecretUri=https://kv-fake.vault.azure.net/secrets/db/)", None),
        ("DB_PASSWORD", "@Microsoft.KeyVault(VaultName=kv-fake;SecretName=db)", None),
        ("DB_PASSWORD", "https://kv-fake.vault.azure.net/secrets/db-password", None),
        ("DB_PASSWORD", "https://kv-fake.vault.azure.cn/secrets/db-password/0123", None),
        ("DB_PASSWORD", "${DB_PASSWORD}", None),
        ("DB_PASSWORD", "$(DB_PASSWORD)", None),
        ("DB_PASSWORD", "$DB_PASSWORD", None),
        ("DB_PASSWORD", "{{ db_password }}", None),
        ("DB_PASSWORD", "<changeme>", None),
        ("DB_PASSWORD", "%DB_PASSWORD%", None),
        ("DB_PASSWORD", "#{DbPassword}#", None),
        ("DB_PASSWORD", "prefix-${DB_PASSWORD}", None),
        ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db/orders", None),
        ("STORAGE", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${STORAGE_KEY}", None),
        ("DB_PASSWORD", "hunter2", None),  # under 8 characters
        ("DB_PASSWORD", "********", None),
        ("DB_PASSWORD", "null", None),
        ("DB_PASSWORD", "set it in the portal", None),  # prose
        ("API_TOKEN", "true", None),
        ("API_TOKEN", "8080", None),
        ("API_TOKEN", "C:\\secrets\\api.txt", None),
        ("API_TOKEN", "./token.txt", None),
        ("TOKEN_URL", "https://login.contoso.example/oauth2/token", None),
        ("HOMEPAGE", "https://example.com/path?x=1", None),
        ("SECRET_NAME", "db-password", None),
        ("TOKEN_ISSUER", "contoso-identity", None),
        ("TOKEN_ISSUER", "Contoso identity platform", None),
        ("TOKEN_AUDIENCE", "api://contoso-orders", None),
        ("PASSWORD_MIN_LENGTH", "12", None),
        ("DB_USER", "orders_app_user", None),
        ("KEYVAULT_URI", "https://kv-prod-apps.vault.azure.net/", None),
        ("PARTITION_KEY", "tenantId", None),
        ("CONNECTION_STRING", SQL_WITHOUT_PASSWORD, None),
        ("APPLICATIONINSIGHTS_CONNECTION_STRING", APP_INSIGHTS, None),  # the instrumentation key is no secret
        ("FEATURE_FLAGS", "orders,billing", None),
        ("ASPNETCORE_ENVIRONMENT", "Production", None),
        ("DB_PASSWORD", "", None),
        ("DB_PASSWORD", None, None),
    ],
)  # fmt: skip
def test_classify_env_value(name: str, value: str | None, kind: str | None) -> None:
    assert classify_env_value(name, value) == kind


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["app", "--password", "Fak3-Pa55"], [(2, "password-argument", "--password")]),
        (["app", "--password=Fak3-Pa55"], [(1, "password-argument", "--password")]),
        (["app", "--db-password", "Fak3-Pa55"], [(2, "password-argument", "--db-password")]),
        (["app", "--token", "FakeTestOnly"], [(2, "secret-argument", "--token")]),
        (["app", "--api-key=FakeTestOnly"], [(1, "secret-argument", "--api-key")]),
        (["app", "--client-secret", ENTRA_SECRET], [(2, "azure-client-secret", "--client-secret")]),
        (["azcopy", "copy", "x", "--sas", SAS], [(4, "sas-token", "--sas")]),
        (["app", "--connection-string", SQL], [(2, "connection-string-password", "--connection-string")]),
        (["app", "--secret", "FakeTestOnly"], [(2, "secret-argument", "--secret")]),
        (["sh", "-c", "export DB_PASSWORD=hunter2; ./run"], [(2, "secret-named-variable", "DB_PASSWORD")]),
        (["sh", "-c", "PGPASSWORD=Fak3Pa55 psql -h db -U app"], [(2, "secret-named-variable", "PGPASSWORD")]),
        (["env", "PGPASSWORD=Fak3Pa55", "psql"], [(1, "secret-named-variable", "PGPASSWORD")]),
        (["/bin/sh", "-c", "reporter --db-password Fak3-Secr3t --out /data"],
         [(2, "password-argument", "--db-password")]),
        (["mysql", "-u", "root", "-pFak3Pa55", "orders"], [(3, "password-argument", "-p")]),
        (["mysql", "-u", "root", "--password=Fak3Pa55"], [(3, "password-argument", "--password")]),
        (["sshpass", "-p", "Fak3Pa55", "ssh", "host"], [(2, "password-argument", "-p")]),
        (["redis-cli", "-h", "cache", "-a", "Fak3Pa55"], [(4, "password-argument", "-a")]),
        (["docker", "login", "-u", "bot", "-p", "Fak3Pa55", "x.io"], [(5, "password-argument", "-p")]),
        (["curl", "-u", "bot:Fak3Pa55", "https://x.example"], [(2, "password-argument", "-u")]),
        (["curl", "-H", "Authorization: Bearer FakeTestOnly0123", "https://x.example"],
         [(2, "authorization-header", None)]),
        (["git", "clone", "https://bot:Fak3Pa55@github.com/x/y.git"], [(2, "url-with-password", None)]),
        (["app", JWT], [(1, "jwt", None)]),
        (["sh", "-c", f"curl -H 'X-Token: {GITHUB}' https://x.example"], [(2, "github-token", None)]),
        (["java", "-Dspring.datasource.password=Fak3Pa55", "-jar", "app.jar"],
         [(1, "secret-named-variable", "spring.datasource.password")]),
        (["helm", "upgrade", "--set", "db.password=Fak3Pa55", "rel", "chart"],
         [(3, "secret-named-variable", "db.password")]),
        (["sh", "-c", "su app -c 'mysql -pFak3Pa55 orders'"], [(2, "password-argument", "-p")]),
        (["app", "--db-password Fak3-Secr3t"], [(1, "password-argument", "--db-password")]),  # one argument
        (["app", "--password=correct horse battery"], [(1, "password-argument", "--password")]),
        (["app", "--password", "Fak3-Pa55", "--token=FakeTestOnly"],
         [(2, "password-argument", "--password"), (3, "secret-argument", "--token")]),
        # Not credentials.
        (["app", "--password", "$DB_PASSWORD"], []),
        (["app", "--password", "${DB_PASSWORD}"], []),
        (["app", "--password", "$(AGENT_PASSWORD)"], []),
        (["sh", "-c", "app --password $(cat /run/secrets/db) --token \"$TOKEN\""], []),
        (["sh", "-c", "export DB_PASSWORD=${DB_PASSWORD}; ./run"], []),
        (["agent", "--token-file", "/mnt/secrets/agent-token"], []),
        (["migrate", "--password-file", "/mnt/secrets/db-password", "up"], []),
        (["app", "--password", "/run/secrets/db"], []),
        (["docker", "login", "--password-stdin", "-u", "bot"], []),
        (["psql", "--no-password", "-h", "db"], []),
        (["docker", "run", "-p", "8080:80", "nginx"], []),  # -p publishes a port outside `login`
        (["myapp", "-p", "Fak3Pa55"], []),  # -p is a password only for tools known to use it so
        (["mysql", "-u", "root", "-p", "orders"], []),  # prompts; `orders` is the database
        (["mysql", "--password", "orders"], []),
        (["app", "--connection-string", "Server=db;Database=orders;Integrated Security=true"], []),
        (["app", "--token-url", "https://login.contoso.example/token"], []),
        (["nginx", "-g", "daemon off;"], []),
        (["sh", "-c", "cp -r /repo/config /data && exec app --port 8080"], []),
        (["sh", "-c", "echo 'unbalanced"], []),
        ([], []),
    ],
)  # fmt: skip
def test_classify_command(args: list[str], expected: list[tuple[int, str, str | None]]) -> None:
    found = classify_command(args)
    assert found == tuple(CommandCredential(position=p, kind=k, flag=f) for p, k, f in expected)


SECRETS = [STORAGE_CONNECTION, SQL, SAS, JWT, PEM, GITHUB, STORAGE_KEY, "Fak3-Pa55w0rd", "hunter2"]


@pytest.mark.parametrize("secret", SECRETS)
def test_results_never_contain_the_value(secret: str) -> None:
    kind = classify_env_value("DB_PASSWORD", secret)
    assert kind is None or secret not in kind
    args = ["app", "--password", secret, f"SECRET={secret}", "sh", "-c", f"x --token {secret}"]
    hits = classify_command(args)
    assert hits and all(secret not in repr(hit) for hit in hits)


def test_errors_never_contain_the_value() -> None:
    secret = "Fak3-Pa55w0rd-in-bytes"
    with pytest.raises(TypeError) as env_error:
        classify_env_value("DB_PASSWORD", secret.encode())  # type: ignore[arg-type]
    with pytest.raises(TypeError) as command_error:
        classify_command(["app", "--password", secret.encode()])  # type: ignore[list-item]
    for error in (env_error.value, command_error.value):
        assert secret not in str(error) and secret not in repr(error)
        assert secret.encode().hex() not in str(error)


def test_the_detector_logs_and_prints_nothing(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    classify_env_value("DB_PASSWORD", "Fak3-Pa55w0rd")
    classify_command(["sh", "-c", "export DB_PASSWORD=Fak3-Pa55w0rd"])
    captured = capsys.readouterr()
    assert not caplog.records and not captured.out and not captured.err
