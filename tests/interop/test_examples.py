"""The examples that need no peer: they run and print what docs/ says they print."""
from conftest import EXAMPLES, run


def test_runtime_tour():
    result = run([EXAMPLES / "runtime_tour"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "when_all: 1 + 2 = 3 (2 running at once)",
        "when_any: alternative 1 won with 7",
        "with_timeout: slow value: timed out after 20ms",
        "task group: 3 workers done",
        "blocking: ran on another thread: yes",
    ]


def test_secure_message_round_trips_a_fernet_token():
    result = run([EXAMPLES / "secure_message"])
    assert result.returncode == 0, result.stderr
    original, encrypted, decrypted = result.stdout.splitlines()
    assert original == "Original: Hello, secure world!"
    assert decrypted == "Decrypted: Hello, secure world!"
    token = encrypted.removeprefix("Encrypted: ")
    # 0x80, timestamp, IV, one 32-byte ciphertext, HMAC: 89 bytes, 120 base64 characters.
    assert token.startswith("gAAAAA") and len(token) == 120


def test_jwt_auth_token_is_read_by_pyjwt_and_failures_are_named():
    import jwt  # PyJWT, Debian's python3-jwt

    result = run([EXAMPLES / "jwt_auth"])
    assert result.returncode == 0, result.stderr
    generated, verified = result.stdout.splitlines()
    token = generated.removeprefix("Generated token: ")
    assert jwt.decode(token, "your-secret-key", algorithms=["HS256"])["username"] == "user123"
    assert verified == "Verified username: user123"

    expired = jwt.encode({"username": "user123", "exp": 1000000000}, "your-secret-key")
    assert run([EXAMPLES / "jwt_auth", expired]).stdout.splitlines()[1] == \
        "Verified username: Token expired"
    forged = jwt.encode({"username": "admin"}, "another-secret")
    assert run([EXAMPLES / "jwt_auth", forged]).stdout.splitlines()[1] == \
        "Verified username: Invalid token"
