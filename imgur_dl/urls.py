"""Turn what people paste into a :class:`Target`. Pure: no network, no disk."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import SplitResult, parse_qs, quote, quote_plus, urlsplit

from imgur_dl.errors import UsageError
from imgur_dl.models import ME, Kind, Target
from imgur_dl.text import hide_password

_HOSTS = re.compile(r"^(?:(?:www|m)\.)?imgur\.(?:com|io)$")
_DIRECT_HOSTS = re.compile(r"^i\.imgur\.(?:com|io)$")

# Imgur ids are 5 (old) or 7 characters of [A-Za-z0-9].
_ID = r"(?P<id>[A-Za-z0-9]{7}|[A-Za-z0-9]{5})"
# "title-words-" slug before the id, as in /a/my-holiday-photos-AbC1234
_SLUG = r"(?:[^/]*-)?"
_TAIL = r"(?:/.*)?$"  # /embed, /all, /layout/grid, /comment/123, ...
_SIZE = "[sbtmlhg]"  # the letter after an id in a direct link that names another size of the same image

_PATH_FORMS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(rf"^/a/{_SLUG}{_ID}{_TAIL}"), Kind.ALBUM),
    # (A post as a tag, a subreddit or a topic shows it, and as it was shown among your own favorites or a user's:
    # imgur.com/account/favorites/<id>, links shared from that page in old posts and comments.)
    (re.compile(rf"^/(?:gallery|t/[^/]+|r/[^/]+|topic/[^/]+|account/favorites|user/[^/]+/favorites)/{_SLUG}{_ID}{_TAIL}"),
     Kind.GALLERY),
    (re.compile(rf"^/download/{_ID}(?:/.*)?$"), Kind.IMAGE),
    (re.compile(rf"^/{_ID}/embed(?:/.*)?$"), Kind.IMAGE),  # (the page an embedded image's frame shows)
    # (imgur.com/<id>.jpg, a direct link written without its "i.", as often in old posts; and so at another size,
    # imgur.com/<id>h.jpg, as i.imgur.com's links are read below. A page's own link has no size letter.)
    (re.compile(rf"^/{_SLUG}{_ID}(?:{_SIZE}?\.(?P<ext>[A-Za-z0-9]{{1,5}}))?/?$"), Kind.IMAGE),
)
# i.imgur.com/<id>[size letter].<ext>: "AbC1234h.jpg" is AbC1234 at another size; "AbC1234_d.webp?maxwidth=640"
# the preview imgur.com's pages show, downscaled to the width asked (the original without "_d": the maintainer of
# Image Max URL, github.com/qsniyg/maxurl issue 1106; the Reddit client Dawn strips it likewise, PR 209).
# The preview's format is what was asked of the CDN (webp, most often), not the original's: it names the image only.
_DIRECT_PATH = rf"/{_ID}(?:{_SIZE}|(?P<preview>_d))?(?:\.(?P<ext>[A-Za-z0-9]{{1,5}}))?/?"
_DIRECT = re.compile(rf"^{_DIRECT_PATH}$")

# The order and window the site's menus put after a tag or subreddit (/t/cats/top/week);
# the API's documented sorts and windows (apidocs.imgur.com, "Gallery Tag", "Subreddit
# Galleries"). imgur-dl reads the listing in the API's default order whatever they say.
_ORDER = r"(?:/(?:viral|top|time|rising|new|hot|best)(?:/(?:day|week|month|year|all))?)?"
_NAME = r"(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]{0,62})"
# The orders an account's pages were shown in (imgur.com/user/<name>/submitted/newest, .../favorites/oldest: the API's
# documented sorts of an account's submissions and favorites).
_SORT = r"(?:/(?:newest|oldest))?"
_LISTINGS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(rf"^/user/{_NAME}(?:/(?:posts|submitted|index){_SORT})?/?$"), Kind.USER),
    (re.compile(rf"^/user/{_NAME}/favorites{_SORT}/?$"), Kind.FAVORITES),
    (re.compile(rf"^/account/favorites{_SORT}/?$"), Kind.FAVORITES),  # (your own, as the site once showed them)
    # Your own account (gallery-dl's ImgurMeExtractor: /user/me, /user/me/posts, /user/me/hidden),
    # and every image it holds, in a post or not (the API's "Account Images"; this form is imgur-dl's).
    (re.compile(r"^/user/(?P<name>me)/hidden/?$"), Kind.HIDDEN),
    (re.compile(rf"^/user/{_NAME}/images/?$"), Kind.IMAGES),
    (re.compile(rf"^/user/{_NAME}/favorites/folder/(?P<folder>[0-9]{{1,20}})(?:/[^/]*)?/?$"), Kind.FOLDER),
    (re.compile(rf"^/t/(?P<name>[A-Za-z0-9_-]{{1,64}}){_ORDER}/?$"), Kind.TAG),
    (re.compile(rf"^/r/(?P<name>[A-Za-z0-9_]{{2,32}}){_ORDER}/?$"), Kind.SUBREDDIT),
)
# imgur.com's search page, with whatever its menus put in the path (sort, window:
# /search/score/all?q=...): the API is asked in its own default order (gallery-dl's
# ImgurSearchExtractor takes any /search/...?q= path the same way).
_SEARCH = re.compile(r"^/search(?:/[A-Za-z0-9_/-]{0,64})?/?$")

# Several images in one link, their ids joined by ',' (imgur.com/AbC1234,XyZ9876): a form of Imgur's that showed
# them one after another, in old posts and comments (the Reddit Enhancement Suite's Imgur host reads it so: "handle
# separated list of IDs").
_IDS = re.compile(r"^/(?:[A-Za-z0-9]{7}|[A-Za-z0-9]{5})(?:,(?:[A-Za-z0-9]{7}|[A-Za-z0-9]{5}))+/?$")

_SAID = 200  # characters of what was given that an error line repeats

# The file i.imgur.com answers in place of one it no longer serves (removed.png): every capture of a deleted image
# redirects there, so a crawl is full of links to it; it names no upload.
_PLACEHOLDER = "removed"
# The files of Imgur's own on its hosts whose names look like an upload's: the placeholder, and the site's icon
# (imgur.com/favicon.ico, i.imgur.com/favicon.ico: what every browser asks for, and pages and scripts show as
# Imgur's logo).
_SITE_FILES = frozenset({_PLACEHOLDER, "favicon"})

# Site pages whose name happens to look like an id.
_RESERVED = frozenset(
    {"about", "rules", "terms", "legal", "store", "topic", "gallery", "privacy", "emerald", "memegen",
     "account", "upgrade", "support", "explore", "contact", "welcome", "sitemap", "signin", "signup", *_SITE_FILES}
)


# The forms most links in a list or a dump take, read in one match (a tenth of the time the general way takes,
# which a million-line list would spend before its first file); they name what the general way finds for them.
_QUICK_PAGE = re.compile(rf"(?:https?://)?(?:www\.|m\.)?imgur\.com/(?P<kind>a/|gallery/)?{_ID}/?")
_QUICK_DIRECT = re.compile(rf"(?:https?://)?i\.imgur\.com{_DIRECT_PATH}")
_QUICK_KINDS = {None: Kind.IMAGE, "a/": Kind.ALBUM, "gallery/": Kind.GALLERY}


# Characters that show nothing, which a link copied from a page or a chat, or read from a file Windows wrote,
# brings at its ends: a byte-order mark, zero-width spaces and joiners, a word joiner, direction marks, a soft
# hyphen. No link holds one: at its ends they are dropped as white space is.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u200e\u200f\u00ad"
# What a link pasted from a sentence or a chat carries around it: the brackets or quotes it was written in, and
# closing punctuation after it (gallery-dl's patterns take the id and leave what follows).
_AROUND = "<([{\"'"
_AFTER = ".,;:!?)]}>\"'*"
# What no link holds, but text around one does: white space, a row's ',' or ';' (a link of several images aside,
# which parses), brackets and quotes.
_AMID = re.compile(r"[\s,;()\[\]<>\"']")
# A line of gallery-dl's input files that sets an option for the URLs after it: "-filename = ...", "- skip = true",
# "-G base-directory = ..." (its documentation, "Input Files": a '-' first, then "<NAME> = <VALUE>").
_OPTION_LINE = re.compile(r"-\s*(?:G\s+)?[A-Za-z][\w.-]*\s*=.*", re.DOTALL)


def parse(text: str) -> Target:
    """The album, gallery post or image that ``text`` names, or :class:`UsageError`.

    A link that names nothing as it is, but does once the brackets, quotes or punctuation around it are
    dropped (``(imgur.com/a/AbC1234).``), names what it does then. A password written into the link is kept as
    ``***`` (Imgur asks for none: it is only ever repeated), whatever it holds: ``text`` is one link's."""
    raw = hide_password(_trimmed(text), whole=True)
    quick = _quick(raw)
    if quick is not None:
        return quick
    if _OPTION_LINE.fullmatch(raw):  # (a gallery-dl user's list, its options among its URLs)
        raise UsageError(f"not a URL but a gallery-dl option: {_said(raw)} (imgur-dl takes no options from a list: "
                         "give them on its command line; imgur-dl --help lists them)")
    try:
        return _parse(raw)
    except UsageError as exc:
        refused = exc
    if _several(raw):  # (two on a line of a list, or pasted as one argument)
        raise UsageError(f"{len(raw.split())} links, not one: {_said(raw)} (give each as a URL of its own; "
                         "--scan finds every link in any text)")
    bare = _undressed(raw)
    if bare and bare != raw:
        try:
            return _parse(bare)
        except UsageError as exc:  # (what it says is wrong is then said of the link itself, if it is Imgur's)
            if _passes(_imgur_url, bare):
                refused = exc
    if _AMID.search(bare or raw) and "imgur." in raw.lower():  # (a line of notes, a Markdown list, a CSV row)
        raise UsageError(f"not one link: {_said(raw)} (a link amid other text? give each link as a URL of its own; "
                         "--scan finds every link in any text, a CSV export's too)")
    try:
        raise refused
    finally:  # (this frame, which the error's traceback holds, lets go of it: no cycle is left for the collector's
        del refused  # rare full pass, which kept every frame below it meanwhile, --scan's blocks of text among them)


def _trimmed(text: str) -> str:
    """``text`` without the white space and the characters that show nothing (:data:`_INVISIBLE`) at its ends."""
    while (trimmed := text.strip().strip(_INVISIBLE)) != text:
        text = trimmed
    return text


def _undressed(raw: str) -> str:
    """``raw`` without the brackets or quotes it was written in, the punctuation after it, and what shows nothing
    at its ends."""
    return raw.lstrip(_AROUND + _INVISIBLE).rstrip(_AFTER + _INVISIBLE)


def _several(raw: str) -> bool:
    """Whether ``raw`` is links one after another with white space between, each naming something."""
    words = raw.split()
    return len(words) > 1 and all(_passes(parse, word) for word in words)


def _passes(check: Callable[[str], object], text: str) -> bool:
    """Whether ``check`` (:func:`parse`: it names something; :func:`_imgur_url`: it is a link to Imgur) takes
    ``text``, rather than refusing it with :class:`UsageError`."""
    try:
        check(text)
    except UsageError:
        return False
    return True


def parse_all(text: str) -> list[Target]:
    """What ``text`` names: one album, post, image or listing, as :func:`parse` says, or each image of a link that
    names several (``imgur.com/AbC1234,XyZ9876``, repeats once); or :class:`UsageError`."""
    raw = _trimmed(text)
    for candidate in dict.fromkeys((raw, _undressed(raw))) if "," in raw else ():
        try:
            parts, host = _imgur_url(candidate)
        except UsageError:  # (parse says why)
            continue
        if _HOSTS.match(host) and _IDS.match(parts.path):
            ids = dict.fromkeys(parts.path.strip("/").split(","))
            if not any(i.lower() in _RESERVED for i in ids):
                return [Target(Kind.IMAGE, i, f"https://imgur.com/{i}") for i in ids]
    return [parse(raw)]


def _quick(raw: str) -> Target | None:
    """What ``raw`` names when it is one of the usual forms (a page or a direct link, no more); else None."""
    if (match := _QUICK_DIRECT.fullmatch(raw)) is not None and match["id"] not in _SITE_FILES:
        return _direct(match, raw)
    if (match := _QUICK_PAGE.fullmatch(raw)) is not None and match["id"].lower() not in _RESERVED:
        return Target(_QUICK_KINDS[match["kind"]], match["id"], raw)
    return None


def _imgur_url(raw: str) -> tuple[SplitResult, str]:
    """``raw`` split into its parts, and its host in lower case, when it is a link to Imgur; else UsageError."""
    if not raw:
        raise UsageError("empty URL")
    candidate = raw if "://" in raw else "https://" + raw
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError:
        raise UsageError(f"not a URL: {_said(raw)!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"not an Imgur URL (scheme {parts.scheme[:_SAID]!r}): {_said(raw)}")
    host = (parts.hostname or "").lower().rstrip(".")
    if port not in (None, 80, 443) or not (_HOSTS.match(host) or _DIRECT_HOSTS.match(host)):
        raise UsageError(f"not an Imgur URL: {_said(raw)}")
    return parts, host


def _parse(raw: str) -> Target:
    parts, host = _imgur_url(raw)
    path = parts.path or "/"

    if _DIRECT_HOSTS.match(host):
        match = _DIRECT.match(path)
        if match and match["id"] not in _SITE_FILES:
            return _direct(match, raw)
        # i.imgur.com also answers /a/<id> like imgur.com does
    listing = _listing(parts.path or "/", parts.query, raw)
    if listing is not None:
        return listing
    for pattern, kind in _PATH_FORMS:
        match = pattern.match(path)
        if match and match["id"].lower() not in _RESERVED:
            ext = _ext(match.groupdict().get("ext"))
            return Target(kind, match["id"], raw, ext)
    raise UsageError(f"this Imgur URL names no album or image: {_said(raw)}")


def _direct(match: re.Match[str], raw: str) -> Target:
    """The image a direct link names, with the format its file is in (a preview's says nothing of that)."""
    return Target(Kind.IMAGE, match["id"], raw, None if match["preview"] else _ext(match["ext"]))


def _said(raw: str) -> str:
    """What was given, as an error line repeats it: its first 200 characters (a whole text pasted is one line;
    any password in it hidden already, as :func:`parse` took it)."""
    return raw if len(raw) <= _SAID else raw[:_SAID] + "..."


def _listing(path: str, query: str, raw: str) -> Target | None:
    """A user's posts or favorites, a folder, a tag, a subreddit or a search; None for anything else."""
    for pattern, kind in _LISTINGS:
        match = pattern.match(path)
        if match:
            name = match.groupdict().get("name") or ME
            if kind is Kind.FOLDER:
                name = f"{name}/{match['folder']}"
            return Target(kind, name, raw)
    match = _SEARCH.match(path)
    if match:
        words = " ".join(" ".join(parse_qs(query).get("q", [])).split())
        if not words or not words.isprintable():
            raise UsageError(f"this Imgur search names no words: {_said(raw)}")
        return Target(Kind.SEARCH, words[:200].rstrip(), raw)  # (a query as long as a search box takes, at most)
    return None


def canonical(target: Target) -> str:
    """The one plain URL of what ``target`` names (``--scan -g`` prints these)."""
    name = quote(target.id, safe="/")
    if target.kind is Kind.ALBUM:
        return f"https://imgur.com/a/{name}"
    if target.kind is Kind.GALLERY:
        return f"https://imgur.com/gallery/{name}"
    if target.kind is Kind.IMAGE:
        return f"https://i.imgur.com/{name}.{target.ext}" if target.ext else f"https://imgur.com/{name}"
    if target.kind is Kind.FOLDER:
        user, _, folder = target.id.partition("/")
        return f"https://imgur.com/user/{quote(user)}/favorites/folder/{folder}"
    if target.kind is Kind.SEARCH:
        return f"https://imgur.com/search?q={quote_plus(target.id)}"
    return {Kind.USER: "https://imgur.com/user/{}", Kind.FAVORITES: "https://imgur.com/user/{}/favorites",
            Kind.HIDDEN: "https://imgur.com/user/{}/hidden", Kind.IMAGES: "https://imgur.com/user/{}/images",
            Kind.TAG: "https://imgur.com/t/{}", Kind.SUBREDDIT: "https://imgur.com/r/{}"}[target.kind].format(name)


def served_ext(text: str) -> str:
    """An extension as imgur-dl names the file: lower case, ``jpeg`` as ``jpg``, ``gifv`` as ``mp4``.

    (``.gifv`` is Imgur's page for an animation; the file it plays is the MP4.)
    """
    ext = text.lower().lstrip(".")
    return {"jpeg": "jpg", "gifv": "mp4"}.get(ext, ext)


def _ext(text: str | None) -> str | None:
    return served_ext(text) if text else None
