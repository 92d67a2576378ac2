"""Makes repo.car (a Bluesky account's export, as ``com.atproto.sync.getRepo`` gives one: a CARv1 file of DAG-CBOR
blocks, posts whose links are in their facets and embeds) and described.cbor (a self-described CBOR file), with
cbor2's encoder (``canonical=True``: DAG-CBOR's order of keys). Run: ``python make.py`` in this folder, with cbor2."""

import hashlib
import random

import cbor2  # type: ignore[import-not-found]

ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def cid(data: bytes) -> bytes:  # (CIDv1, DAG-CBOR, SHA-256)
    return b"\x01\x71\x12\x20" + hashlib.sha256(data).digest()


def link(to: bytes) -> cbor2.CBORTag:
    return cbor2.CBORTag(42, b"\x00" + to)


def repo() -> None:
    rnd = random.Random(11)
    blocks = []
    for n in range(60):
        key = "".join(rnd.choice(ALPHABET) for _ in range(7))
        uri = f"https://imgur.com/gallery/{key}" if n % 3 else f"https://i.imgur.com/{key}.jpg"
        text = f"post {n}: look imgur.com/gallery/{key[:3]}..." if n % 2 else f"post {n} {uri}"
        post = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-12-01T00:00:00.000Z", "langs": ["en"],
                "facets": [{"index": {"byteStart": 5, "byteEnd": 30},
                            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}]}]}
        if n % 5 == 0:
            post["embed"] = {"$type": "app.bsky.embed.external",
                             "external": {"uri": uri, "title": "Imgur", "description": "a post"}}
        data = cbor2.dumps(post, canonical=True)
        blocks.append((cid(data), data))
    node = cbor2.dumps({"l": None, "e": [{"k": b"app.bsky.feed.post/3k", "p": 0, "t": None, "v": link(blocks[0][0])}]},
                       canonical=True)
    blocks.append((cid(node), node))
    commit = cbor2.dumps({"did": "did:plc:abc", "version": 3, "data": link(blocks[-1][0]), "rev": "3k", "prev": None,
                          "sig": b"\x01" * 64}, canonical=True)
    blocks.insert(0, (cid(commit), commit))
    header = cbor2.dumps({"roots": [link(blocks[0][0])], "version": 1}, canonical=True)
    out = varint(len(header)) + header
    for name, data in blocks:
        out += varint(len(name) + len(data)) + name + data
    with open("repo.car", "wb") as file:
        file.write(out)


def described() -> None:
    rnd = random.Random(12)
    keys = ["".join(rnd.choice(ALPHABET) for _ in range(7)) for _ in range(40)]
    rows = [{"url": f"https://imgur.com/{key}", "n": n, "f": 1.5, "neg": -3, "ok": True, "none": None}
            for n, key in enumerate(keys)]
    with open("described.cbor", "wb") as file:
        file.write(cbor2.dumps(cbor2.CBORTag(55799, rows)))


repo()
described()
