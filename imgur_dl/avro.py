"""An Avro data file (an object container file: what BigQuery exports, Kafka's connectors and Hadoop's tools write;
``Obj`` and a byte of 1 its first bytes) as ``--scan`` reads it: each text of each record, a text a line.

Read as bytes, an Avro file gave no link at all, compressed or not: each text is written right after its length,
a zigzag varint whose byte is often a letter or a digit ('6' before a text of 27 bytes), which ran on from the
link before it. The format is Avro's own (its specification, "Object Container Files" and "Binary Encoding"):
the file's header (its magic number, its metadata, a map of bytes holding its schema in JSON and its codec, and a
sync marker of 16 bytes), then blocks, each how many records it holds, how many bytes, the records (compressed
with its codec: deflate, Snappy, zstd, bzip2, xz, or none), and the sync marker again. A record's fields are
written one after another as its schema says, with nothing between: so a block's records are read as the schema
says, each text (a string, bytes, a map's key, an enum's symbol) on a line of its own.

Nothing in the file is trusted: a block's size is held to :data:`BLOCK_MOST` and what it decompresses to bounded
as any compressed input's is, the schema's nesting and a record's to :data:`DEPTH`, the values a block may give
to a number its bytes could hold; a block that is not what its schema says (or does not decompress) is said, and
the next is read (its size says where it starts, and its sync marker is checked). A header that cannot be read
(another format; a schema that is not one) makes the file read as bytes, and that is said; one cut short gives
what came before the cut, and one line.
"""

from __future__ import annotations

import bz2
import json
import lzma
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from imgur_dl import snappy, zstdlib
from imgur_dl.errors import ScanError
from imgur_dl.reader import Bound, Reader, Streamed

MAGIC = b"Obj\x01"
BLOCK_MOST = 256 * 1024 * 1024  # a block's bytes, compressed or not, at the most
DEPTH = 100  # types inside types (a record's field's record ...), and values inside values, at the most
_SYNC = 16
_HEADER_MOST = 64 * 1024 * 1024  # a header's metadata (its schema, a few KiB) at the most
_SEP = b"\n"
_PRIMITIVE = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_CODECS = ("null", "deflate", "snappy", "zstandard", "bzip2", "xz")
_WIDTH = {"float": 4, "double": 8}
Schema = Any  # what json.loads made of a schema, with named types' names resolved as they are read


class NotOne(Exception):
    """What was read is not what the format or its schema says."""


class Avro(Streamed):
    """An Avro data file as text to scan (a :class:`imgur_dl.reader.Reader`). ``taken``: how much of the file has
    been read (when it is compressed as a whole; else what this has read of it); ``warn``: told of blocks that could
    not be read, a codec not read, a header that could not be."""

    def __init__(self, source: Reader, name: str, bound: Bound, *, taken: Callable[[], int] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        super().__init__(source, name, bound, taken=taken, warn=warn)
        self.blocks = 0
        self.unread = 0  # blocks that could not be read

    def text(self) -> Iterator[bytes]:
        try:
            schema, codec, sync = self._header()
        except NotOne as exc:
            self.say(f"an Avro data file whose header {exc}: read as bytes")
            yield from self.input.rest()
            return
        if codec not in _CODECS or (codec == "zstandard" and not zstdlib.present()):
            self.say(f"an Avro data file compressed with {codec!r}, which imgur-dl does not decompress"
                      f"{' without the extra imgur-dl[zstd]' if codec == 'zstandard' else ''}: not read")
            return
        while (head := self._long()) is not None:
            size = self._long()
            if size is None:
                break
            self.blocks += 1
            if not 0 <= size <= BLOCK_MOST or head < 0:
                self.say(f"its block {self.blocks:,} is not what an Avro data file's block is: the rest was not read")
                self._tell()
                return
            data = self.input.take(size)
            marker = self.input.take(_SYNC)
            if len(data) < size or len(marker) < _SYNC:
                break
            yield self._block(data, head, schema, codec, marker == sync)
        else:
            self._tell()
            return
        self._tell()
        raise ScanError.stopped(self.name, "the Avro data file ends inside a block: cut short")

    def _header(self) -> tuple[Schema, str, bytes]:
        """The file's schema (its named types resolved), its codec and its sync marker; :class:`NotOne` where its
        header is not an Avro data file's."""
        if self.input.take(len(MAGIC)) != MAGIC:
            raise NotOne("is cut short")
        metadata: dict[str, bytes] = {}
        held = 0
        while (count := self._long()) not in (None, 0):
            if count < 0 and self._long() is None:  # (a block's count below 0: its size in bytes follows)
                raise NotOne("is cut short")
            for _ in range(abs(count)):
                key, value = self._bytes(), self._bytes()
                if key is None or value is None:
                    raise NotOne("is cut short")
                held += len(key) + len(value)
                if held > _HEADER_MOST:
                    raise NotOne(f"holds more than {_HEADER_MOST // 2**20} MiB")
                metadata[key.decode("utf-8", "replace")] = value
        if count is None:
            raise NotOne("is cut short")
        sync = self.input.take(_SYNC)
        if len(sync) < _SYNC:
            raise NotOne("is cut short")
        try:
            schema = _resolved(json.loads(metadata.get("avro.schema", b"")), {}, "", 0)
        except (ValueError, RecursionError, NotOne, TypeError, AttributeError, KeyError):  # (a field it must have)
            raise NotOne("holds no schema that can be read") from None
        return schema, metadata.get("avro.codec", b"null").decode("utf-8", "replace"), sync

    def _block(self, data: bytes, records: int, schema: Schema, codec: str, synced: bool) -> bytes:
        """The texts of a block's ``records``, a line each; what came before a fault in it (said)."""
        texts: list[bytes] = []
        try:
            if not synced:
                raise NotOne("its sync marker is not the file's")
            decoded = _Decoding(self._decompressed(data, codec), texts)
            for _ in range(records):
                decoded.value(schema, 0)
        except NotOne:
            self.unread += 1
        return self.bound.add(b"\n".join(texts) + _SEP, self.taken())

    def _decompressed(self, data: bytes, codec: str) -> bytes:
        try:
            if codec == "deflate":
                inflater = zlib.decompressobj(-15)
                made = inflater.decompress(data, BLOCK_MOST + 1)
            elif codec == "snappy":  # (its CRC-32 after it, not checked)
                decoded = snappy.decoded(data[:-4])
                if decoded.stopped is not None:
                    raise NotOne(decoded.stopped)
                made = decoded.data
            elif codec == "zstandard":
                unpacked = zstdlib.unzstd(data, BLOCK_MOST + 1)
                if unpacked is None:
                    raise NotOne("its zstd frames do not decompress")
                made = unpacked
            elif codec == "bzip2":
                made = bz2.BZ2Decompressor().decompress(data, BLOCK_MOST + 1)
            elif codec == "xz":
                made = lzma.LZMADecompressor().decompress(data, BLOCK_MOST + 1)
            else:
                made = data
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            raise NotOne(str(exc)) from None
        if len(made) > BLOCK_MOST:
            raise NotOne("larger than imgur-dl reads of a block")
        return made

    def _long(self) -> int | None:
        """A zigzag varint; None where the file ends first."""
        value, shift = 0, 0
        while byte := self.input.take(1):
            value |= (byte[0] & 0x7F) << shift
            if not byte[0] & 0x80:
                return (value >> 1) ^ -(value & 1)
            shift += 7
            if shift > 63:
                return None
        return None

    def _bytes(self) -> bytes | None:
        size = self._long()
        if size is None or size < 0 or size > BLOCK_MOST:
            return None
        data = self.input.take(size)
        return data if len(data) == size else None

    def _tell(self) -> None:
        if self.unread:
            self.say(f"{self.unread:,} of its {self.blocks:,} blocks are not what its schema says (a damaged file?): "
                      "what they gave before the fault counts")


def _resolved(schema: Any, names: dict[str, Any], namespace: str, depth: int) -> Schema:
    """``schema`` with each named type's name replaced by the type it names (the same object: a recursive one
    refers to itself), as the specification's "Names" resolve them; :class:`NotOne` where it is no schema."""
    if depth > DEPTH:
        raise NotOne("nested too deep")
    if isinstance(schema, list):  # (a union)
        return [_resolved(branch, names, namespace, depth + 1) for branch in schema]
    if isinstance(schema, str):
        if schema in _PRIMITIVE:
            return {"type": schema}
        named = names.get(schema) or names.get(f"{namespace}.{schema}")
        if named is None:
            raise NotOne(f"no type named {schema}")
        return named
    kind = schema["type"]
    if isinstance(kind, (dict, list)) or (isinstance(kind, str) and kind not in _PRIMITIVE | {
            "record", "error", "enum", "array", "map", "fixed"}):
        return _resolved(kind, names, namespace, depth + 1)
    if kind in ("record", "error", "enum", "fixed"):
        full = schema["name"] if "." in schema["name"] else \
            f"{schema.get('namespace', namespace)}.{schema['name']}".lstrip(".")
        names[full] = names[schema["name"]] = schema
        namespace = full.rpartition(".")[0]
    if kind in ("record", "error"):
        schema["fields"] = [{"type": _resolved(field["type"], names, namespace, depth + 1)}
                            for field in schema["fields"]]
    elif kind == "array":
        schema["items"] = _resolved(schema["items"], names, namespace, depth + 1)
    elif kind == "map":
        schema["values"] = _resolved(schema["values"], names, namespace, depth + 1)
    elif kind == "fixed" and not (isinstance(schema["size"], int) and 0 <= schema["size"] <= BLOCK_MOST):
        raise NotOne("a fixed type of no size")
    return schema


class _Decoding:
    """A block's records, decoded as their schema says: each text into ``texts``."""

    def __init__(self, data: bytes, texts: list[bytes]) -> None:
        self.data = data
        self.at = 0
        self.texts = texts
        self.steps = 8 * len(data) + 1024  # (values a block may give: an array of nulls takes no bytes a value)

    def value(self, schema: Schema, depth: int) -> None:
        self.steps -= 1
        if self.steps < 0 or depth > DEPTH:
            raise NotOne("more values than its bytes could hold")
        if isinstance(schema, list):
            index = self._long()
            if not 0 <= index < len(schema):
                raise NotOne("a union's branch it has not")
            self.value(schema[index], depth)  # (a branch is no level of its own)
            return
        kind = schema["type"]
        if kind in ("string", "bytes"):
            self.texts.append(self._take(self._long()))
        elif kind in ("int", "long", "enum"):
            self._long()
        elif kind == "boolean":
            self._take(1)
        elif kind in _WIDTH:
            self._take(_WIDTH[kind])
        elif kind == "fixed":
            self._take(schema["size"])
        elif kind in ("record", "error"):
            for field in schema["fields"]:
                self.value(field["type"], depth + 1)
        elif kind in ("array", "map"):
            self._blocks(schema, depth)

    def _blocks(self, schema: Schema, depth: int) -> None:
        """An array's or a map's items, a block of them after another until one of none."""
        while count := self._long():
            if count < 0:  # (its size in bytes follows)
                self._long()
            for _ in range(abs(count)):
                if schema["type"] == "map":
                    self.texts.append(self._take(self._long()))
                    self.value(schema["values"], depth + 1)
                else:
                    self.value(schema["items"], depth + 1)

    def _take(self, size: int) -> bytes:
        if not 0 <= size <= len(self.data) - self.at:
            raise NotOne("a value longer than its block")
        self.at += size
        return self.data[self.at - size:self.at]

    def _long(self) -> int:
        value, self.at = snappy.varint(self.data, self.at, bits=64)
        if value < 0:
            raise NotOne("a number cut short")
        return (value >> 1) ^ -(value & 1)
