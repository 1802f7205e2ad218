"""Ed25519 signatures over a plan's payload bytes (DESIGN.md: never sign re-serialised JSON; sign bytes).

A signed plan is {"format": "steadydose.signed/1", "key_id", "payload": "<plan JSON text>", "sig": base64}.
Keys travel as base64 of their raw 32 bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(public_b64: str) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def sign_plan(plan_text: str, key: Ed25519PrivateKey) -> dict:
    """The signed envelope for a plan's exact JSON text."""
    sig = key.sign(plan_text.encode("utf-8"))
    return {"format": "steadydose.signed/1", "key_id": key_id(public_key_b64(key)), "payload": plan_text,
            "sig": base64.b64encode(sig).decode()}


def verify_with_public_key(public_b64: str, payload: str, sig_b64: str) -> bool:
    """True when sig is the Ed25519 signature of the payload's UTF-8 bytes by this public key."""
    try:
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64, validate=True))
        pub.verify(base64.b64decode(sig_b64, validate=True), payload.encode("utf-8"))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def signed_plan_json(plan: dict, key: Ed25519PrivateKey) -> str:
    return json.dumps(sign_plan(json.dumps(plan, indent=1), key))
