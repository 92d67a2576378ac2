"""The text of Word's and PowerPoint's documents (Office Open XML), and of OpenDocument's, as the document shows it.

A ``.docx`` or ``.pptx`` is a ZIP archive of XML parts (read member by
member, as any ZIP is); their text is kept in runs, each with its own
formatting, and Word and PowerPoint split a run wherever something changes
inside it: an edit made in a later session, the spelling checker's marks,
a language, a bookmark (ruby-docx's pull request #181: a placeholder
``{{first_name}}`` stored as ``{{fi``, ``rst_na``, ``me}}``; python-pptx's
issue #724, likewise). A link typed into a document may be so too:
``<w:t>https://imgur.com/a/AbC12</w:t></w:r><w:r><w:t>34</w:t>``, read as
written, ends at the ``<`` and names another album (``AbC12``). Here what
lies between two runs' text is taken out when it is nothing but the runs'
own markup (their ends and starts, their properties, the spelling checker's
marks, bookmarks, comments' ranges, a link's start and end, an inserted
change's): the text then reads as the document shows it. Anything else
between them (a tab, a break, a paragraph's end, a field's) is left as it
is, and keeps the two apart. OpenDocument's (LibreOffice's ``.odt``) text
is split by spans instead: those are taken out wherever they are.
"""

from __future__ import annotations

import re

from imgur_dl.reader import Whole

MOST = 256 * 1024 * 1024  # bytes of a part read whole, at the most (larger: read as it is)
_LOOK = 8192  # bytes of a part's beginning looked at for its namespace (OpenDocument's root declares some 40)
# The namespaces whose text is in runs: WordprocessingML's and DrawingML's (a slide's), transitional and strict;
# and OpenDocument's text, in spans.
_NAMESPACES = (b"schemas.openxmlformats.org/wordprocessingml/2006/main", b"purl.oclc.org/ooxml/wordprocessingml/main",
               b"schemas.openxmlformats.org/drawingml/2006/main", b"purl.oclc.org/ooxml/drawingml/main",
               b"urn:oasis:names:tc:opendocument:xmlns:text:1.0")
_ATTRIBUTES = rb"(?:\s[^<>]*)?"


def _between(prefix: bytes, marks: bytes) -> re.Pattern[bytes]:
    """From the end of a run's text to the start of the next's, with nothing but runs' markup between (``prefix``:
    the namespace's, ``marks``: the other empty elements that may lie between runs)."""
    tag = rb"<" + prefix + rb":"
    # (A run's properties hold any elements, but never the run's end, nor a paragraph's, nor text: they cannot
    # reach past the run they are of.)
    inside = rb"<(?!/?" + prefix + rb":(?:r|p|t|instrText)[\s/>])[^<>]*>"
    properties = tag + rb"rPr" + _ATTRIBUTES + rb"(?:/>|>(?:\s*" + inside + rb")*?\s*</" + prefix + rb":rPr>)"
    markup = (rb"</?" + prefix + rb":r" + _ATTRIBUTES + rb">|" + properties + rb"|" + tag + rb"(?:" + marks + rb")"
              + _ATTRIBUTES + rb"/>|</?" + prefix + rb":(?:hyperlink|ins)" + _ATTRIBUTES + rb">")
    text = rb"(?:t|instrText)" if prefix == b"w" else rb"t"
    return re.compile(rb"</" + prefix + rb":" + text + rb">(?:\s*(?:" + markup + rb"))*?\s*" + tag + text +
                      _ATTRIBUTES + rb">")


# OpenDocument's text (LibreOffice's, OpenOffice's) is not in runs: a paragraph's text lies in it as it is, with
# spans around what is formatted apart, and LibreOffice starts one wherever text was typed in another session or
# a style changes (OpenTBS's issue #23: "[" and "onshow.orchestra:treasurer:email]" in two spans). A span's start
# and end, a bookmark, where a page broke last: none shows as anything, and none is kept.
_ODF_NOTHING = re.compile(rb"</?text:span" + _ATTRIBUTES + rb">|<text:(?:bookmark|bookmark-start|bookmark-end|"
                          rb"soft-page-break)" + _ATTRIBUTES + rb"/>")
_JOINS = (_between(b"w", rb"proofErr|bookmarkStart|bookmarkEnd|lastRenderedPageBreak|commentRangeStart|"
                        rb"commentRangeEnd|permStart|permEnd"),
          _between(b"a", rb"(?!)"), _ODF_NOTHING)


def is_document(head: bytes) -> bool:
    """Whether a part that begins with ``head`` is a document's text: Word's or PowerPoint's, in runs, or
    OpenDocument's, in spans."""
    look = head[:_LOOK]
    return look.lstrip().startswith(b"<?xml") and any(name in look for name in _NAMESPACES)


def joined(part: bytes) -> Whole:
    """``part`` with the markup between two runs' text taken out where nothing else lies there, and spans'."""
    for join in _JOINS:
        part = join.sub(b"", part)
    return Whole(part)
