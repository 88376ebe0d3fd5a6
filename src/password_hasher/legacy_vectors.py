#!/usr/bin/env python3
"""Writes legacy_vectors.json: password hashes made by the libraries that
legacy stacks used, for the unit tests of legacy.rs and the HTTP tests of
login and import.

Each vector is {scheme, hash, password, wrong_password}. Every hash is made by
the real library and checked by it (the password verifies, the wrong one does
not) before it is written, so the Rust tests compare against the libraries
themselves, not against a re-implementation.

Run it in a virtual environment (Python 3.10+):

    python3 -m venv /tmp/vectors && /tmp/vectors/bin/pip install \
        'werkzeug>=3.1' passlib bcrypt django argon2-cffi
    python3 -m venv /tmp/vectors22 && /tmp/vectors22/bin/pip install werkzeug==2.2.3
    /tmp/vectors/bin/python legacy_vectors.py --werkzeug22 /tmp/vectors22/bin/python

The pre-2.3 Werkzeug forms (`sha1$salt$hex`, `md5$salt$hex`) are made by
Werkzeug 2.2.3 itself, run in its own interpreter (`--werkzeug22`). The
vectors use cheap cost parameters where the form allows, so the tests stay
fast, plus one Werkzeug hash at Werkzeug's real default cost.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

import argon2
import bcrypt
import django
import werkzeug
import werkzeug.security
from django.conf import settings
from passlib.hash import pbkdf2_sha256 as passlib_pbkdf2_sha256
from passlib.hash import pbkdf2_sha512 as passlib_pbkdf2_sha512

PASSWORDS = [
    ("correct horse battery staple", "correct horse battery stapl"),
    ("密码123", "密码124"),
    ("p@ss$word:with;symbols", "P@ss$word:with;symbols"),
    # 6 to 14 characters, as the login operation takes them: the HTTP tests
    # log in with these (src/tests/api/legacy_login.rs).
    ("登录密码pass1", "登录密码pass2"),
]

vectors = []


def add(scheme, hash_, password, wrong, check, full_cost=False):
    """`full_cost`: a hash at a real default cost, which the Rust tests verify
    only once (with the password), to keep them fast."""
    assert check(hash_, password), (scheme, hash_)
    assert not check(hash_, wrong), (scheme, hash_)
    vector = {"scheme": scheme, "hash": hash_, "password": password, "wrong_password": wrong}
    if full_cost:
        vector["full_cost"] = True
    vectors.append(vector)


def werkzeug_check(hash_, password):
    return werkzeug.security.check_password_hash(hash_, password)


def werkzeug_current():
    for password, wrong in PASSWORDS:
        for method, scheme in [
            ("pbkdf2:sha256:1000", "werkzeug_pbkdf2_sha256"),
            ("pbkdf2:sha1:1000", "werkzeug_pbkdf2_sha1"),
            ("scrypt:1024:8:1", "werkzeug_scrypt"),
        ]:
            add(scheme, werkzeug.security.generate_password_hash(password, method),
                password, wrong, werkzeug_check)
    # Werkzeug's real defaults, as Flask apps wrote them.
    add("werkzeug_pbkdf2_sha256",
        werkzeug.security.generate_password_hash("default cost", "pbkdf2"),
        "default cost", "default cosT", werkzeug_check, full_cost=True)
    add("werkzeug_scrypt", werkzeug.security.generate_password_hash("default scrypt"),
        "default scrypt", "default scrypT", werkzeug_check, full_cost=True)
    # The iterations left out: Werkzeug reads its own default.
    salt = werkzeug.security.gen_salt(16)
    hexdigest, _ = werkzeug.security._hash_internal("pbkdf2:sha1", salt, "no iterations")
    add("werkzeug_pbkdf2_sha1", f"pbkdf2:sha1${salt}${hexdigest}",
        "no iterations", "no iterationS", werkzeug_check, full_cost=True)


WERKZEUG22 = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import werkzeug, werkzeug.security as s
assert werkzeug.__version__ == "2.2.3", werkzeug.__version__
out = []
for method, password, wrong in json.load(sys.stdin):
    if method.endswith("-nosalt"):
        method = method[:-len("-nosalt")]
        hexdigest, actual = s._hash_internal(method, "", password)
        h = f"{actual}$${hexdigest}"
    else:
        h = s.generate_password_hash(password, method, salt_length=12)
    assert s.check_password_hash(h, password)
    assert not s.check_password_hash(h, wrong)
    out.append(h)
json.dump(out, sys.stdout)
"""


def werkzeug22(python):
    jobs = []
    for password, wrong in PASSWORDS:
        jobs.append(("sha1", password, wrong, "werkzeug_hmac_sha1"))
        jobs.append(("md5", password, wrong, "werkzeug_hmac_md5"))
    jobs.append(("sha1-nosalt", "unsalted", "unsalteD", "werkzeug_hmac_sha1"))
    jobs.append(("md5-nosalt", "unsalted", "unsalteD", "werkzeug_hmac_md5"))
    made = json.loads(subprocess.run(
        [python, "-c", WERKZEUG22],
        input=json.dumps([(m, p, w) for m, p, w, _ in jobs]),
        capture_output=True, text=True, check=True,
    ).stdout)

    # The same check in this interpreter, from Werkzeug 2.2's `_hash_internal`:
    # hmac.new(salt, password, method) with a salt, hashlib.new(method, password)
    # without.
    def check(hash_, password):
        import hmac
        method, salt, hexdigest = hash_.split("$", 2)
        if salt:
            mine = hmac.new(salt.encode(), password.encode(), method).hexdigest()
        else:
            mine = hashlib.new(method, password.encode()).hexdigest()
        return hmac.compare_digest(mine, hexdigest)

    for (_, password, wrong, scheme), hash_ in zip(jobs, made):
        add(scheme, hash_, password, wrong, check)


def bcrypt_vectors():
    def check(hash_, password):
        return bcrypt.checkpw(password.encode(), hash_.encode())

    for password, wrong in PASSWORDS:
        for prefix in [b"2a", b"2b"]:
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4, prefix)).decode()
            add("bcrypt", hashed, password, wrong, check)
        # PHP's `$2y$` is the same algorithm under another name; the library
        # checks it as written.
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(5)).decode()
        add("bcrypt", "$2y$" + hashed[4:], password, wrong, check)


def argon2_vectors():
    for type_, scheme in [(argon2.Type.ID, "argon2id"), (argon2.Type.I, "argon2i")]:
        hasher = argon2.PasswordHasher(time_cost=1, memory_cost=256, parallelism=1, type=type_)

        def check(hash_, password, hasher=hasher):
            try:
                return hasher.verify(hash_, password)
            except argon2.exceptions.VerifyMismatchError:
                return False

        for password, wrong in PASSWORDS:
            add(scheme, hasher.hash(password), password, wrong, check)
    # Today's server parameters (m=19456, t=2, p=1): the one current form.
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1,
                                   hash_len=32, salt_len=16, type=argon2.Type.ID)
    add("argon2id", hasher.hash("current"), "current", "currenT",
        lambda h, p: _argon2_verify(hasher, h, p))


def _argon2_verify(hasher, hash_, password):
    try:
        return hasher.verify(hash_, password)
    except argon2.exceptions.VerifyMismatchError:
        return False


def django_vectors():
    settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
    django.setup()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password

    hasher = PBKDF2PasswordHasher()
    for password, wrong in PASSWORDS:
        hashed = hasher.encode(password, hasher.salt(), iterations=1000)
        add("django_pbkdf2_sha256", hashed, password, wrong,
            lambda h, p: check_password(p, h, setter=lambda _: None))


def passlib_vectors():
    for handler, scheme in [(passlib_pbkdf2_sha256, "passlib_pbkdf2_sha256"),
                            (passlib_pbkdf2_sha512, "passlib_pbkdf2_sha512")]:
        for password, wrong in PASSWORDS:
            add(scheme, handler.using(rounds=1000).hash(password), password, wrong,
                lambda h, p, handler=handler: handler.verify(p, h))


def hex_vectors():
    for name, scheme in [("md5", "md5_hex"), ("sha1", "sha1_hex"), ("sha256", "sha256_hex")]:
        def check(hash_, password, name=name):
            return hashlib.new(name, password.encode()).hexdigest() == hash_.lower()

        for i, (password, wrong) in enumerate(PASSWORDS):
            digest = hashlib.new(name, password.encode()).hexdigest()
            add(scheme, digest.upper() if i == 1 else digest, password, wrong, check)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--werkzeug22", required=True,
                        help="a Python interpreter with werkzeug==2.2.3 installed")
    args = parser.parse_args()
    werkzeug_current()
    werkzeug22(args.werkzeug22)
    bcrypt_vectors()
    argon2_vectors()
    django_vectors()
    passlib_vectors()
    hex_vectors()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "legacy_vectors.json")
    with open(out, "w", encoding="utf-8") as file:
        json.dump(vectors, file, ensure_ascii=False, indent=1)
        file.write("\n")
    print(f"{len(vectors)} vectors written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
