"""`wirekit fernet` and `wirekit jwt` against Python's cryptography (Fernet) and PyJWT, both
ways, per the CLI contract: tokens made by one verify with the other; failures give the
documented exit codes and messages and never print a key or a secret."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import RSAAlgorithm

from conftest import PYTHON, TUTORIAL, WIREKIT, tutorial

# A secret distinctive enough that finding it in any output means it leaked.
SECRET = "s3cr3t-Wirekit-Interop-7f9c2a"


def clean_env(**extra):
    """The environment without the key variables (unless given), so tests are hermetic."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("WIREKIT_FERNET_KEY", "WIREKIT_JWT_SECRET")}
    env.update(extra)
    return env


def wk(*args, stdin=None, env=None, timeout=20):
    """Runs the wirekit CLI; stdout and stderr as bytes, stdin bytes or str."""
    if isinstance(stdin, str):
        stdin = stdin.encode()
    return subprocess.run([str(WIREKIT), *[str(a) for a in args]], input=stdin,
                          capture_output=True, timeout=timeout,
                          env=env if env is not None else clean_env())


def out(result):
    return result.stdout.decode()


def err(result):
    return result.stderr.decode()


# ---- Fernet ---------------------------------------------------------------------------------

def test_python_token_decrypts_with_wirekit():
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"Hello, secure world!")
    result = wk("fernet", "decrypt", "--key", key.decode(), token.decode())
    assert result.returncode == 0, err(result)
    assert result.stdout == b"Hello, secure world!"  # exactly, no newline added


def test_python_binary_token_decrypts_byte_for_byte():
    key = Fernet.generate_key()
    data = bytes(range(256)) * 4 + b"\x00\n\r\x00"
    token = Fernet(key).encrypt(data)
    result = wk("fernet", "decrypt", "--key", key.decode(), token.decode())
    assert result.returncode == 0, err(result)
    assert result.stdout == data


def test_python_unicode_token_decrypts():
    key = Fernet.generate_key()
    text = "Python 邮件发送测试... é 😀"
    token = Fernet(key).encrypt(text.encode())
    result = wk("fernet", "decrypt", "--key", key.decode(), token.decode())
    assert result.returncode == 0, err(result)
    assert result.stdout.decode() == text


def test_wirekit_token_decrypts_with_python():
    key = Fernet.generate_key()
    result = wk("fernet", "encrypt", "--key", key.decode(), "Hello, secure world!")
    assert result.returncode == 0, err(result)
    assert result.stdout.endswith(b"\n")
    token = result.stdout.strip()
    assert Fernet(key).decrypt(token) == b"Hello, secure world!"
    # Stamped with the current time.
    assert abs(Fernet(key).extract_timestamp(token) - time.time()) < 10


def test_encrypt_reads_stdin_byte_for_byte():
    key = Fernet.generate_key()
    data = b"line one\nline two\x00binary\xff\n"
    for args in (["-"], []):
        result = wk("fernet", "encrypt", "--key", key.decode(), *args, stdin=data)
        assert result.returncode == 0, (args, err(result))
        assert Fernet(key).decrypt(result.stdout.strip()) == data, args


def test_decrypt_reads_the_token_from_stdin():
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"from stdin")
    for args in (["-"], []):
        result = wk("fernet", "decrypt", "--key", key.decode(), *args,
                    stdin=b"  " + token + b"\n")
        assert result.returncode == 0, (args, err(result))
        assert result.stdout == b"from stdin", args


def test_key_from_file_and_environment(tmp_path):
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"keyed")
    key_file = tmp_path / "fernet.key"
    key_file.write_bytes(b"\n  " + key + b"\n\n")  # surrounding whitespace is stripped
    result = wk("fernet", "decrypt", "--key-file", key_file, token.decode())
    assert result.returncode == 0, err(result)
    assert result.stdout == b"keyed"

    result = wk("fernet", "decrypt", token.decode(), env=clean_env(WIREKIT_FERNET_KEY=key.decode()))
    assert result.returncode == 0, err(result)
    assert result.stdout == b"keyed"

    enc = wk("fernet", "encrypt", "via env", env=clean_env(WIREKIT_FERNET_KEY=key.decode()))
    assert enc.returncode == 0, err(enc)
    assert Fernet(key).decrypt(enc.stdout.strip()) == b"via env"


def test_key_flag_wins_over_environment():
    key = Fernet.generate_key()
    other = Fernet.generate_key()
    token = Fernet(key).encrypt(b"flag wins")
    result = wk("fernet", "decrypt", "--key", key.decode(), token.decode(),
                env=clean_env(WIREKIT_FERNET_KEY=other.decode()))
    assert result.returncode == 0, err(result)
    assert result.stdout == b"flag wins"


@pytest.mark.parametrize("case", ["wrong key", "tampered", "truncated", "garbage"])
def test_invalid_tokens_exit_4(case):
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"secret text").decode()
    use_key = key.decode()
    if case == "wrong key":
        use_key = Fernet.generate_key().decode()
    elif case == "tampered":
        raw = bytearray(base64.urlsafe_b64decode(token))
        raw[30] ^= 1
        token = base64.urlsafe_b64encode(bytes(raw)).decode()
    elif case == "truncated":
        token = token[:-8]
    else:
        token = "not-a-token"
    result = wk("fernet", "decrypt", "--key", use_key, token)
    assert result.returncode == 4, (case, err(result))
    assert "Invalid token" in err(result)
    assert result.stdout == b""
    assert use_key not in err(result)


def test_ttl_refuses_old_tokens():
    key = Fernet.generate_key()
    old = Fernet(key).encrypt_at_time(b"old news", int(time.time()) - 3600)
    result = wk("fernet", "decrypt", "--key", key.decode(), "--ttl", "60", old.decode())
    assert result.returncode == 4, err(result)
    assert "Invalid token" in err(result)
    assert result.stdout == b""
    # Without a TTL, or with a longer one, the same token is fine.
    assert wk("fernet", "decrypt", "--key", key.decode(), old.decode()).stdout == b"old news"
    longer = wk("fernet", "decrypt", "--key", key.decode(), "--ttl", "7200", old.decode())
    assert longer.returncode == 0, err(longer)
    assert longer.stdout == b"old news"
    fresh = Fernet(key).encrypt(b"fresh")
    assert wk("fernet", "decrypt", "--key", key.decode(), "--ttl", "60",
              fresh.decode()).stdout == b"fresh"


def test_ttl_clock_skew_matches_cryptography():
    key = Fernet.generate_key()
    f = Fernet(key)
    now = int(time.time())
    soon = f.encrypt_at_time(b"soon", now + 20)      # within the 60 s skew
    later = f.encrypt_at_time(b"later", now + 600)   # beyond it
    assert f.decrypt(soon, ttl=60) == b"soon"
    with pytest.raises(Exception):
        f.decrypt(later, ttl=60)
    ok = wk("fernet", "decrypt", "--key", key.decode(), "--ttl", "60", soon.decode())
    assert ok.returncode == 0, err(ok)
    assert ok.stdout == b"soon"
    refused = wk("fernet", "decrypt", "--key", key.decode(), "--ttl", "60", later.decode())
    assert refused.returncode == 4, err(refused)
    assert refused.stdout == b""


def test_token_without_its_padding_is_refused_like_cryptography():
    key = Fernet.generate_key()
    f = Fernet(key)
    token = f.encrypt(b"x" * 20)  # 120 characters, the last one "="
    assert token.endswith(b"=")
    unpadded = token.rstrip(b"=")
    with pytest.raises(Exception):  # cryptography: "Incorrect padding" → InvalidToken
        f.decrypt(unpadded)
    result = wk("fernet", "decrypt", "--key", key.decode(), unpadded.decode())
    assert result.returncode == 4, (result.stdout, err(result))
    assert result.stdout == b""


def test_genkey_is_accepted_by_python():
    first = wk("fernet", "genkey")
    second = wk("fernet", "genkey")
    assert first.returncode == 0, err(first)
    text = out(first)
    assert text.endswith("\n") and len(text) == 45, repr(text)
    key = text.strip()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != out(second).strip()
    f = Fernet(key.encode())  # accepted by cryptography
    result = wk("fernet", "decrypt", "--key", key, f.encrypt(b"round trip").decode())
    assert result.stdout == b"round trip", err(result)


def test_bad_key_exits_2_without_echoing_it():
    for bad in ["short", "!" * 44, base64.urlsafe_b64encode(b"x" * 31).decode()]:
        result = wk("fernet", "encrypt", "--key", bad, "text")
        assert result.returncode == 2, (bad, err(result))
        assert "Fernet key must be 32 url-safe base64-encoded bytes" in err(result)
        assert bad not in err(result)
        assert result.stdout == b""


def test_no_key_exits_2_naming_the_ways_to_give_one():
    result = wk("fernet", "encrypt", "text")
    assert result.returncode == 2, err(result)
    message = err(result)
    assert len(message.strip().splitlines()) == 1, message
    for way in ("--key", "--key-file", "WIREKIT_FERNET_KEY"):
        assert way in message, message


def test_tutorial_12_1_runs_and_its_functions_read_wirekit_tokens():
    result = subprocess.run(tutorial("fernet_12_1.py"), capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Original: Hello, secure world!"
    assert lines[1].startswith("Encrypted: b'gAAAAA")
    assert lines[2] == "Decrypted: Hello, secure world!"
    # The tutorial's decrypt_message opens a token wirekit made with a wirekit key.
    key = out(wk("fernet", "genkey")).strip()
    token = out(wk("fernet", "encrypt", "--key", key, "Hello, secure world!")).strip()
    program = ("import runpy, sys; g = runpy.run_path(sys.argv[1]); "
               "print(g['decrypt_message'](sys.argv[2].encode(), sys.argv[3].encode()))")
    check = subprocess.run([PYTHON, "-c", program, str(TUTORIAL / "fernet_12_1.py"), token, key],
                           capture_output=True, text=True, timeout=20)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[-1] == "Hello, secure world!"


# ---- JWT ------------------------------------------------------------------------------------

def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Key pairs made with cryptography as PEM files: {name: (key, private path, public path)}."""
    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for name, key in [("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
                      ("p256", ec.generate_private_key(ec.SECP256R1())),
                      ("p384", ec.generate_private_key(ec.SECP384R1())),
                      ("ed25519", ed25519.Ed25519PrivateKey.generate())]:
        priv = folder / f"{name}.pem"
        pub = folder / f"{name}.pub.pem"
        priv.write_bytes(pem_private(key))
        pub.write_bytes(pem_public(key))
        made[name] = (key, priv, pub)
    return made


def payload_of(result):
    assert result.returncode == 0, err(result)
    return json.loads(out(result))


def test_pyjwt_hs256_verifies_and_prints_the_payload():
    payload = {"username": "user123", "role": "admin", "n": 5, "exp": int(time.time()) + 600}
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    result = wk("jwt", "verify", token, "--secret", SECRET)
    assert payload_of(result) == payload
    text = out(result)
    # Pretty with a 2-space indent, claims in the token's order.
    assert text.startswith('{\n  "username"'), text
    assert list(json.loads(text).keys()) == list(payload.keys())
    assert SECRET not in text + err(result)


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_empty_audience_is_accepted_as_pyjwt_accepts_it(empty):
    payload = {"username": "user123", "aud": empty}
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    assert jwt.decode(token, SECRET, algorithms=["HS256"]) == payload  # PyJWT's own verdict
    assert payload_of(wk("jwt", "verify", token, "--secret", SECRET)) == payload


def test_pyjwt_non_ascii_claims_verify():
    payload = {"name": "é 😀 邮件", "exp": int(time.time()) + 600}
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    assert payload_of(wk("jwt", "verify", token, "--secret", SECRET)) == payload


@pytest.mark.parametrize("name,alg,extra", [
    ("rsa", "RS256", []),
    ("rsa", "RS512", ["--alg", "RS512"]),
    ("rsa", "PS256", ["--alg", "PS256"]),
    ("p256", "ES256", []),
    ("p384", "ES384", []),
    ("ed25519", "EdDSA", []),
])
def test_pyjwt_asymmetric_tokens_verify_with_the_public_key(keys, name, alg, extra):
    key, _, pub = keys[name]
    payload = {"username": "user123", "alg_used": alg, "exp": int(time.time()) + 600}
    token = jwt.encode(payload, key, algorithm=alg)
    assert payload_of(wk("jwt", "verify", token, "--key", pub, *extra)) == payload


def test_key_default_algorithm_is_the_keys_kind(keys):
    # An RSA key defaults to RS256: a PS256 token needs --alg PS256.
    key, _, pub = keys["rsa"]
    token = jwt.encode({"u": 1}, key, algorithm="PS256")
    result = wk("jwt", "verify", token, "--key", pub)
    assert result.returncode == 4, err(result)
    assert err(result).startswith("Invalid token:")


def test_sign_with_secret_is_read_by_pyjwt():
    before = time.time()
    result = wk("jwt", "sign", "--secret", SECRET, "--claim", "username=user123", "--exp", "1h")
    assert result.returncode == 0, err(result)
    token = out(result).strip()
    assert out(result).endswith("\n")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert list(claims.keys()) == ["username", "exp"]
    assert claims["username"] == "user123"
    assert isinstance(claims["exp"], int)
    assert before + 3600 - 5 <= claims["exp"] <= time.time() + 3600 + 5


def test_sign_claims_are_json_when_they_parse_and_keep_their_order():
    result = wk("jwt", "sign", "--secret", SECRET,
                "--claim", "z=last-given-first", "--claim", "n=5", "--claim", "admin=true",
                "--claim", 'obj={"a":1}', "--claim", "s=hello world", "--claim", 'q="5"',
                "--claim", "f=1.5", "--header", "kid=k1")
    assert result.returncode == 0, err(result)
    token = out(result).strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims == {"z": "last-given-first", "n": 5, "admin": True, "obj": {"a": 1},
                      "s": "hello world", "q": "5", "f": 1.5}
    assert list(claims.keys()) == ["z", "n", "admin", "obj", "s", "q", "f"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "k1", "typ": "JWT"}


@pytest.mark.parametrize("name,alg", [("rsa", "RS256"), ("p256", "ES256"), ("p384", "ES384"),
                                      ("ed25519", "EdDSA")])
def test_sign_with_a_private_key_is_verified_by_pyjwt(keys, name, alg):
    key, priv, _ = keys[name]
    result = wk("jwt", "sign", "--key", priv, "--claim", "username=user123", "--exp", "10m")
    assert result.returncode == 0, err(result)
    token = out(result).strip()
    assert jwt.get_unverified_header(token)["alg"] == alg  # picked from the key
    claims = jwt.decode(token, key.public_key(), algorithms=[alg])
    assert claims["username"] == "user123"


def test_sign_ps256_with_an_rsa_key_is_verified_by_pyjwt(keys):
    key, priv, _ = keys["rsa"]
    result = wk("jwt", "sign", "--key", priv, "--alg", "PS256", "--claim", "u=1")
    assert result.returncode == 0, err(result)
    assert jwt.decode(out(result).strip(), key.public_key(), algorithms=["PS256"]) == {"u": 1}


def test_expired_token_exits_3():
    token = jwt.encode({"username": "user123", "exp": int(time.time()) - 10}, SECRET,
                       algorithm="HS256")
    result = wk("jwt", "verify", token, "--secret", SECRET)
    assert result.returncode == 3, err(result)
    assert "Token expired" in err(result)
    assert result.stdout == b""
    # Within the leeway it passes.
    lenient = wk("jwt", "verify", token, "--secret", SECRET, "--leeway", "30s")
    assert payload_of(lenient)["username"] == "user123"


def test_tampered_token_exits_4():
    token = jwt.encode({"username": "user123"}, SECRET, algorithm="HS256")
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(b'{"username":"admin"}').decode()
    result = wk("jwt", "verify", f"{header}.{forged}.{signature}", "--secret", SECRET)
    assert result.returncode == 4, err(result)
    assert err(result).startswith("Invalid token:")
    assert "Signature verification failed" in err(result)
    assert result.stdout == b""


@pytest.mark.parametrize("case", ["wrong secret", "tampered", "expired", "malformed",
                                  "alg not allowed", "truncated"])
def test_secret_never_appears_in_failing_runs(case):
    token = jwt.encode({"username": "user123", "exp": int(time.time()) + 600}, SECRET,
                       algorithm="HS256")
    args = ["--secret", SECRET]
    if case == "wrong secret":
        token = jwt.encode({"username": "user123"}, SECRET + "-other", algorithm="HS256")
    elif case == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "expired":
        token = jwt.encode({"exp": 1000}, SECRET, algorithm="HS256")
    elif case == "malformed":
        token = "not-a-token"
    elif case == "alg not allowed":
        args += ["--alg", "HS512"]
    else:
        token = token[: len(token) // 2]
    result = wk("jwt", "verify", token, *args)
    assert result.returncode in (3, 4), (case, err(result))
    both = out(result) + err(result)
    assert SECRET not in both, (case, both)
    assert "s3cr3t" not in both, (case, both)


def test_secret_from_environment():
    env = clean_env(WIREKIT_JWT_SECRET=SECRET)
    signed = wk("jwt", "sign", "--claim", "username=user123", env=env)
    assert signed.returncode == 0, err(signed)
    token = out(signed).strip()
    assert jwt.decode(token, SECRET, algorithms=["HS256"]) == {"username": "user123"}
    verified = wk("jwt", "verify", token, env=env)
    assert payload_of(verified) == {"username": "user123"}
    pyjwt_token = jwt.encode({"from": "pyjwt"}, SECRET, algorithm="HS256")
    assert payload_of(wk("jwt", "verify", pyjwt_token, env=env)) == {"from": "pyjwt"}


def test_alg_not_allowed_exits_4():
    token = jwt.encode({"username": "user123"}, SECRET, algorithm="HS256")
    result = wk("jwt", "verify", token, "--secret", SECRET, "--alg", "HS384")
    assert result.returncode == 4, err(result)
    assert err(result).startswith("Invalid token:")
    assert "The specified alg value is not allowed" in err(result)
    # Listing it among others is fine.
    both = wk("jwt", "verify", token, "--secret", SECRET, "--alg", "HS384", "--alg", "HS256")
    assert payload_of(both) == {"username": "user123"}


def test_alg_none_is_refused():
    token = jwt.encode({"username": "admin"}, None, algorithm="none")
    result = wk("jwt", "verify", token, "--secret", SECRET)
    assert result.returncode == 4, err(result)
    assert err(result).startswith("Invalid token:")


def test_rsa_public_key_as_hmac_secret_is_refused(keys):
    # Key confusion: an HS256 token whose secret is the public PEM, verified with --key pub.
    _, _, pub = keys["rsa"]
    signing_input = (jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT"}') + b"." +
                     jwt.utils.base64url_encode(b'{"username":"admin"}'))
    signature = jwt.utils.base64url_encode(
        hmac.new(pub.read_bytes(), signing_input, hashlib.sha256).digest())
    forged = (signing_input + b"." + signature).decode()
    for extra in ([], ["--alg", "HS256"], ["--alg", "HS256", "--alg", "RS256"]):
        result = wk("jwt", "verify", forged, "--key", pub, *extra)
        assert result.returncode == 4, (extra, err(result))
        assert result.stdout == b""


@pytest.mark.parametrize("claims,args,message", [
    ({"nbf": 4102444800}, [], "The token is not yet valid (nbf)"),
    ({"aud": "other"}, ["--aud", "api"], "Invalid audience"),
    ({"aud": "api"}, [], "Invalid audience"),
    ({"iss": "evil"}, ["--iss", "good"], "Invalid issuer"),
    ({"u": 1}, ["--require", "exp"], 'Token is missing the "exp" claim'),
])
def test_claim_failures_exit_4_with_pyjwts_reason(claims, args, message):
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    result = wk("jwt", "verify", token, "--secret", SECRET, *args)
    assert result.returncode == 4, err(result)
    assert err(result).startswith("Invalid token:")
    assert message in err(result)


def test_iat_in_the_future_is_refused_like_pyjwt():
    token = jwt.encode({"username": "user123", "iat": int(time.time()) + 3600}, SECRET,
                       algorithm="HS256")
    with pytest.raises(jwt.ImmatureSignatureError):  # PyJWT 2.6: "not yet valid (iat)"
        jwt.decode(token, SECRET, algorithms=["HS256"])
    result = wk("jwt", "verify", token, "--secret", SECRET)
    assert result.returncode == 4, (out(result), err(result))
    assert err(result).startswith("Invalid token:")


def test_required_claim_that_is_null_is_missing_like_pyjwt():
    token = jwt.encode({"username": "user123", "role": None}, SECRET, algorithm="HS256")
    with pytest.raises(jwt.MissingRequiredClaimError):  # PyJWT: payload.get(claim) is None
        jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["role"]})
    result = wk("jwt", "verify", token, "--secret", SECRET, "--require", "role")
    assert result.returncode == 4, (out(result), err(result))
    assert 'Token is missing the "role" claim' in err(result)


def test_claim_checks_that_pass():
    token = jwt.encode({"aud": ["web", "api"], "iss": "good", "sub": "user123"}, SECRET,
                       algorithm="HS256")
    result = wk("jwt", "verify", token, "--secret", SECRET, "--aud", "api", "--iss", "good",
                "--sub", "user123")
    assert payload_of(result)["sub"] == "user123"


def test_not_enough_segments():
    result = wk("jwt", "verify", "abc.def", "--secret", SECRET)
    assert result.returncode == 4, err(result)
    assert err(result).startswith("Invalid token:")
    assert "Not enough segments" in err(result)


def test_verify_reads_the_token_from_stdin():
    token = jwt.encode({"username": "user123"}, SECRET, algorithm="HS256")
    for args in (["-"], []):
        result = wk("jwt", "verify", *args, "--secret", SECRET, stdin=token + "\n")
        assert payload_of(result) == {"username": "user123"}, args


def test_jwks_picks_the_key_by_kid(keys, tmp_path):
    key, _, _ = keys["rsa"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": [dict(json.loads(RSAAlgorithm.to_jwk(other.public_key())), kid="old"),
                     dict(json.loads(RSAAlgorithm.to_jwk(key.public_key())), kid="new")]}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    token = jwt.encode({"username": "user123"}, key, algorithm="RS256", headers={"kid": "new"})
    result = wk("jwt", "verify", token, "--jwks", path, "--alg", "RS256")
    assert payload_of(result) == {"username": "user123"}
    wrong_kid = jwt.encode({"username": "user123"}, key, algorithm="RS256",
                           headers={"kid": "old"})
    result = wk("jwt", "verify", wrong_kid, "--jwks", path, "--alg", "RS256")
    assert result.returncode == 4, err(result)


def test_decode_prints_header_and_payload_unverified():
    token = jwt.encode({"username": "user123"}, "some other secret", algorithm="HS256",
                       headers={"kid": "k9"})
    result = wk("jwt", "decode", token)
    assert result.returncode == 0, err(result)
    assert json.loads(out(result)) == {"header": {"alg": "HS256", "kid": "k9", "typ": "JWT"},
                                       "payload": {"username": "user123"}}
    assert "unverified" in err(result).lower() or "not verified" in err(result).lower()


def test_tutorial_12_2_token_verifies_with_wirekit():
    result = subprocess.run(tutorial("jwt_12_2.py"), capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Generated token: ")
    assert lines[1] == "Verified username: user123"
    token = lines[0].removeprefix("Generated token: ")
    verified = wk("jwt", "verify", token, "--secret", "your-secret-key")
    claims = payload_of(verified)
    assert claims["username"] == "user123"
    assert abs(claims["exp"] - (time.time() + 3600)) < 30
    assert "your-secret-key" not in out(verified) + err(verified)


def test_tutorial_12_2_verify_token_reads_wirekit_tokens():
    signed = wk("jwt", "sign", "--secret", "your-secret-key", "--claim", "username=user123",
                "--exp", "1h")
    assert signed.returncode == 0, err(signed)
    expired = wk("jwt", "sign", "--secret", "your-secret-key", "--claim", "username=user123",
                 "--claim", "exp=1000")
    assert expired.returncode == 0, err(expired)
    program = ("import runpy, sys; g = runpy.run_path(sys.argv[1]); "
               "print(g['verify_token'](sys.argv[2])); print(g['verify_token'](sys.argv[3]))")
    check = subprocess.run([PYTHON, "-c", program, str(TUTORIAL / "jwt_12_2.py"),
                            out(signed).strip(), out(expired).strip()],
                           capture_output=True, text=True, timeout=20)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[-2:] == ["user123", "Token expired"]
