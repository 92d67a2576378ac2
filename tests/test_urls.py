"""Every way people paste Imgur links, and what is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imgur_dl.errors import UsageError
from imgur_dl.hosts import OffsiteError, media_url, redirect_target
from imgur_dl.models import Kind
from imgur_dl.urls import canonical, parse, parse_all

ACCEPTED = [
    # albums
    ("https://imgur.com/a/AbC1234", Kind.ALBUM, "AbC1234"),
    ("http://imgur.com/a/AbC1234", Kind.ALBUM, "AbC1234"),
    ("imgur.com/a/AbC1234", Kind.ALBUM, "AbC1234"),
    ("www.imgur.com/a/AbC1234/", Kind.ALBUM, "AbC1234"),
    ("https://m.imgur.com/a/AbC1234#comments", Kind.ALBUM, "AbC1234"),
    ("https://imgur.com/a/AbC1234?third_party=1", Kind.ALBUM, "AbC1234"),
    ("https://imgur.io/a/AbC1234", Kind.ALBUM, "AbC1234"),
    ("https://imgur.com/a/TcBmP", Kind.ALBUM, "TcBmP"),
    ("https://imgur.com/a/my-summer-holiday-photos-AbC1234", Kind.ALBUM, "AbC1234"),
    ("https://imgur.com/a/AbC1234/embed", Kind.ALBUM, "AbC1234"),
    ("https://imgur.com/AbC1234/embed?pub=true", Kind.IMAGE, "AbC1234"),  # (an embedded image's frame)
    ("https://IMGUR.COM/a/AbC1234", Kind.ALBUM, "AbC1234"),
    ("  https://imgur.com/a/AbC1234  ", Kind.ALBUM, "AbC1234"),
    ("https://i.imgur.com/a/AbC1234", Kind.ALBUM, "AbC1234"),
    # gallery posts
    ("https://imgur.com/gallery/AbC1234", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/gallery/funny-cat-does-things-AbC1234", Kind.GALLERY, "AbC1234"),
    ("imgur.io/gallery/AbC1234/", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/t/funny/AbC1234", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/t/funny/cat-AbC1234?foo#bar", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/r/aww/AbC1234", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/gallery/AbC1234/comment/123456", Kind.GALLERY, "AbC1234"),
    # listings
    ("https://imgur.com/user/Miguenzo", Kind.USER, "Miguenzo"),
    ("imgur.com/user/Miguenzo/posts", Kind.USER, "Miguenzo"),
    ("https://m.imgur.com/user/Miguenzo/submitted/", Kind.USER, "Miguenzo"),
    ("https://imgur.io/user/some_one-2", Kind.USER, "some_one-2"),
    ("https://imgur.com/user/Miguenzo/favorites", Kind.FAVORITES, "Miguenzo"),
    ("https://imgur.com/user/Miguenzo/favorites/folder/8675309", Kind.FOLDER, "Miguenzo/8675309"),
    ("https://imgur.com/user/Miguenzo/favorites/folder/8675309/cats-and-dogs", Kind.FOLDER, "Miguenzo/8675309"),
    # A post as it was shown among your own favorites or a user's (shared from that page), those pages themselves,
    # and an account's pages in the orders the site showed them.
    ("http://imgur.com/account/favorites/Fcz5j7I", Kind.GALLERY, "Fcz5j7I"),
    ("https://imgur.com/account/favorites/AbC1234/comment/123", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/user/Miguenzo/favorites/AbC1234", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/user/Miguenzo/favorites/cats-and-dogs-AbC1234", Kind.GALLERY, "AbC1234"),
    ("https://imgur.com/user/me/favorites", Kind.FAVORITES, "me"),
    ("http://imgur.com/account/favorites", Kind.FAVORITES, "me"),
    ("https://imgur.com/account/favorites/newest", Kind.FAVORITES, "me"),
    ("https://imgur.com/user/Miguenzo/favorites/oldest", Kind.FAVORITES, "Miguenzo"),
    ("http://imgur.com/user/Miguenzo/submitted/newest", Kind.USER, "Miguenzo"),
    ("http://imgur.com/user/Miguenzo/index/newest", Kind.USER, "Miguenzo"),
    ("https://imgur.com/t/animals", Kind.TAG, "animals"),
    ("www.imgur.com/t/cute_cats/?sort=new", Kind.TAG, "cute_cats"),
    ("https://imgur.com/r/pics", Kind.SUBREDDIT, "pics"),
    ("https://imgur.com/r/EarthPorn/", Kind.SUBREDDIT, "EarthPorn"),
    ("https://imgur.com/search?q=cute+cat", Kind.SEARCH, "cute cat"),
    ("https://imgur.com/search/score?q=cute%20%20cat&qs=list", Kind.SEARCH, "cute cat"),
    ("https://imgur.com/search/time?q=cat", Kind.SEARCH, "cat"),
    # the forms imgur.com's sort and window menus produce: sort and window in the path
    ("https://imgur.com/search/score/all?q=barn+owl", Kind.SEARCH, "barn owl"),
    ("https://imgur.com/search/score?q=red+panda", Kind.SEARCH, "red panda"),
    ("https://imgur.com/search/time/week?q=red+panda", Kind.SEARCH, "red panda"),
    ("https://imgur.com/search/viral/all/?q=cat&qs=thumbs", Kind.SEARCH, "cat"),
    ("https://imgur.com/search/relevance?q=cat", Kind.SEARCH, "cat"),
    ("imgur.com/search?q=cute cat", Kind.SEARCH, "cute cat"),  # (as typed: white space in a link is not two)
    ("https://imgur.com/search?q=" + "cat+" * 100, Kind.SEARCH, ("cat " * 50).rstrip()),  # its first 200 characters
    ("https://imgur.com/t/cats/top/week", Kind.TAG, "cats"),
    ("https://imgur.com/t/cats/viral", Kind.TAG, "cats"),
    ("https://imgur.com/t/cats/time/", Kind.TAG, "cats"),
    ("https://imgur.com/r/pics/top/all", Kind.SUBREDDIT, "pics"),
    ("https://imgur.com/r/pics/new", Kind.SUBREDDIT, "pics"),
    ("https://imgur.com/user/Miguenzo/favorites/folder/42/cats-and-dogs", Kind.FOLDER, "Miguenzo/42"),
    # single images
    ("https://imgur.com/XyZ9876", Kind.IMAGE, "XyZ9876"),
    ("imgur.com/XyZ9876/", Kind.IMAGE, "XyZ9876"),
    ("https://m.imgur.com/XyZ9876?x=1", Kind.IMAGE, "XyZ9876"),
    ("https://imgur.com/some-title-words-XyZ9876", Kind.IMAGE, "XyZ9876"),
    ("https://imgur.com/download/XyZ9876", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/XyZ9876.jpg", Kind.IMAGE, "XyZ9876"),
    ("i.imgur.com/XyZ9876.png", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/XyZ9876h.jpg", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/XyZ9876s.jpg", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/XyZ9876.gifv", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/XyZ9876.mp4?x=1", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.io/XyZ9876.jpeg", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/XyZ9876", Kind.IMAGE, "XyZ9876"),
    ("https://i.imgur.com/Ab12s.jpg", Kind.IMAGE, "Ab12s"),
    # A direct link written without its "i." (imgur.com/<id>.jpg, as in old posts), at another size too
    ("http://imgur.com/XyZ9876.jpg", Kind.IMAGE, "XyZ9876"),
    ("imgur.com/XyZ9876h.jpg", Kind.IMAGE, "XyZ9876"),
    ("https://www.imgur.com/Ab12sl.png", Kind.IMAGE, "Ab12s"),
    # The preview imgur.com's pages show: the image, downscaled and converted.
    ("https://i.imgur.com/XyZ9876_d.webp?maxwidth=640&shape=thumb&fidelity=medium", Kind.IMAGE, "XyZ9876"),
    ("i.imgur.io/XyZ9876_d.jpg", Kind.IMAGE, "XyZ9876"),
]


def test_a_preview_names_the_image_not_its_format() -> None:
    # Its format is the one asked of the CDN (webp), not the original's: the image's page is where it is, and a
    # size letter's extension still names the original's format.
    preview = parse("https://i.imgur.com/XyZ9876_d.webp?maxwidth=640&shape=thumb&fidelity=medium")
    assert preview.ext is None and canonical(preview) == "https://imgur.com/XyZ9876"
    assert parse("https://i.imgur.com/XyZ9876h.png").ext == "png"
    with pytest.raises(UsageError):
        parse("https://i.imgur.com/XyZ9876_x.webp")


@pytest.mark.parametrize(("text", "kind", "ident"), ACCEPTED)
def test_accepted_forms(text: str, kind: Kind, ident: str) -> None:
    target = parse(text)
    assert (target.kind, target.id) == (kind, ident)
    assert target.url == text.strip()


PASTED = [
    # As links are pasted from sentences, chats and Markdown: what is around them is dropped.
    ("imgur.com/a/AbC1234)", "imgur.com/a/AbC1234"),
    ("https://imgur.com/a/AbC1234.", "https://imgur.com/a/AbC1234"),
    ("(https://imgur.com/gallery/AbC1234),", "https://imgur.com/gallery/AbC1234"),
    ("<https://i.imgur.com/AbC1234.jpg>", "https://i.imgur.com/AbC1234.jpg"),
    ("'imgur.com/AbC1234'", "imgur.com/AbC1234"),
    ('"https://imgur.com/user/someone/favorites";', "https://imgur.com/user/someone/favorites"),
]


@pytest.mark.parametrize(("text", "bare"), PASTED)
def test_a_link_pasted_with_punctuation_around_it_names_what_it_would_bare(text: str, bare: str) -> None:
    target = parse(text)
    assert (target.kind, target.id, target.url) == (parse(bare).kind, parse(bare).id, bare)


REFUSED = [
    ("", "empty URL"),
    ("hello", "not an Imgur URL"),
    ("https://example.com/a/AbC1234", "not an Imgur URL"),
    ("https://imgur.com.evil.example/a/AbC1234", "not an Imgur URL"),
    ("https://notimgur.com/a/AbC1234", "not an Imgur URL"),
    ("ftp://imgur.com/a/AbC1234", "not an Imgur URL"),
    ("https://imgur.com:8080/a/AbC1234", "not an Imgur URL"),
    ("https://imgur.com/", "names no album or image"),
    ("https://imgur.com/a/", "names no album or image"),
    ("https://imgur.com/user/someone/comments", "names no album or image"),
    ("https://imgur.com/search?q=", "names no words"),
    ("https://imgur.com/search", "names no words"),
    ("https://imgur.com/upload", "names no album or image"),
    ("https://imgur.com/about", "names no album or image"),
    ("https://imgur.com/XyZ9876h", "names no album or image"),  # (a page's link has no size letter)
    ("https://imgur.com/aboutl.jpg", "names no album or image"),  # (a site page's name at no size)
    ("https://imgur.com/privacy", "names no album or image"),
    ("https://imgur.com/a/toolongid12", "names no album or image"),
    ("https://i.imgur.com/", "names no album or image"),
    ("https://imgur.com/gallery/", "names no album or image"),
    ("https://[::1/a/b", "not a URL"),
    ("(imgur.com/a/toolongid12)", "names no album or image: imgur.com/a/toolongid12$"),  # (said of the link)
    ("...", "not an Imgur URL"),
    # Imgur's placeholder for a file it no longer serves (a crawl's every deleted image redirects there).
    ("https://i.imgur.com/removed.png", "names no album or image"),
    ("http://i.imgur.com:80/removed.png", "names no album or image"),
    ("https://imgur.com/favicon.ico", "names no album or image"),  # (Imgur's icon, as pages show it: no upload)
    ("https://i.imgur.com/favicon.ico", "names no album or image"),
    ("https://imgur.com/removed", "names no album or image"),
    # Links one after another (two on a line of a list, or pasted as one argument): said as such.
    ("https://imgur.com/a/AbC1234 https://imgur.com/a/XyZ9876",
     "^2 links, not one: https://imgur.com/a/AbC1234 https://imgur.com/a/XyZ9876 \\(give each as a URL of its own"),
    ("imgur.com/a/AbC1234\ti.imgur.com/XyZ9876.jpg  imgur.com/user/someone", "^3 links, not one"),
    # A link amid other text (a line of notes, a Markdown list, a row of a CSV export, links run together with a ','
    # or ';'): --scan reads such text.
    ("imgur.com/a/AbC1234 and more", "^not one link: imgur.com/a/AbC1234 and more \\(a link amid other text\\? "
     "give each link as a URL of its own; --scan finds every link in any text, a CSV export's too\\)$"),
    ("My album: https://imgur.com/a/AbC1234", "^not one link: My album: https://imgur"),
    ("- [trip](https://imgur.com/a/AbC1234)", "^not one link: - \\[trip\\]\\(https://imgur"),
    ("17,https://imgur.com/a/AbC1234,2019-05-01", "^not one link: 17,https://imgur.com/a/AbC1234,2019-05-01 "),
    ("imgur.com/a/AbC1234;imgur.com/a/XyZ9876", "^not one link: "),
    ("https://example.com/a,b", "not an Imgur URL"),  # (no Imgur link in it)
    ("see example.com", "not an Imgur URL"),
    # A gallery-dl input file's option lines ("-NAME = VALUE", "-G" for all the URLs after), said as what they are.
    ('-filename = "{id}.{extension}"', '^not a URL but a gallery-dl option: -filename = "\\{id\\}\\.\\{extension\\}" '
     "\\(imgur-dl takes no options from a list: give them on its command line; imgur-dl --help lists them\\)$"),
    ('-G base-directory = "/tmp/"', '^not a URL but a gallery-dl option: -G base-directory = "/tmp/" '),
    ("- skip=true", "^not a URL but a gallery-dl option: - skip=true "),
    # What is no link is said as it was written (not with what a link's end would shed).
    ('"hello"!', '^not an Imgur URL: "hello"!$'),
    ('-filename "x"', '^not an Imgur URL: -filename "x"$'),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(text)


@pytest.mark.parametrize(("text", "ids"), [
    ("https://imgur.com/AbC1234,XyZ9876,QwE56", ["AbC1234", "XyZ9876", "QwE56"]),
    ("imgur.com/AbC1234,XyZ9876/", ["AbC1234", "XyZ9876"]),
    ("(http://m.imgur.com/AbC1234,XyZ9876,AbC1234).", ["AbC1234", "XyZ9876"]),  # (around it dropped; repeats once)
])
def test_a_link_that_names_several_images_names_each(text: str, ids: list[str]) -> None:
    # An old form of Imgur's: ids joined by ',' (the Reddit Enhancement Suite reads it so).
    assert [(t.kind, t.id) for t in parse_all(text)] == [(Kind.IMAGE, i) for i in ids]
    assert [parse(t.url).id for t in parse_all(text)] == ids  # (each stands alone: the run reads it again)


@pytest.mark.parametrize("text", ["imgur.com/AbC1234,about", "imgur.com/AbC1234,", "example.com/AbC1234,XyZ9876",
                                  "imgur.com/AbC1234,toolongid", "imgur.com/a/AbC1234,XyZ9876", "https://[::1/a,b",
                                  "imgur.com:8080/AbC1234,XyZ9876"])
def test_a_list_with_anything_but_ids_names_nothing_more_than_parse_does(text: str) -> None:
    try:
        alone = [parse(text)]
    except UsageError:
        with pytest.raises(UsageError):
            parse_all(text)
        return
    assert parse_all(text) == alone


@pytest.mark.parametrize(("url", "checked"), [
    ("http://i.imgur.com/AbCdEfG.jpg", "https://i.imgur.com/AbCdEfG.jpg"),
    ("http://i.imgur.com:80/AbCdEfG.jpg", "https://i.imgur.com/AbCdEfG.jpg"),  # (each scheme's own port, named)
    ("https://i.imgur.com:443/AbCdEfG.jpg?x=1#y", "https://i.imgur.com/AbCdEfG.jpg"),
    ("http://i.imgur.com:8080/AbCdEfG.jpg", "refused a non-HTTPS media URL (http scheme)"),
    ("https://i.imgur.com:444/AbCdEfG.jpg", "refused a media URL on another port (i.imgur.com:444)"),
    ("//i.imgur.com/AbCdEfG.jpg", "refused a non-HTTPS media URL (no scheme)"),
    ("https://me:pw@i.imgur.com/AbCdEfG.jpg", "refused a media URL on another host (i.imgur.com)"),
    ("https://i.imgur.com.evil.example/AbCdEfG.jpg", "refused a media URL on another host (i.imgur.com.evil.example)")])
def test_a_media_url_is_taken_to_https_on_the_cdn_or_refused_with_why(url: str, checked: str) -> None:
    assert _checked_or_why(media_url, url) == checked


def _checked_or_why(check: Callable[..., str], *args: str) -> str:
    """The URL ``check`` makes of ``args``, or the words it refuses them with."""
    try:
        return check(*args)
    except OffsiteError as exc:
        return str(exc)


@pytest.mark.parametrize(("location", "target"), [  # (from https://i.imgur.com/dir/AbCdEfG.jpg)
    ("https://i.imgur.com/OtHeR12.jpg", "https://i.imgur.com/OtHeR12.jpg"),
    ("//i.imgur.com/OtHeR12.jpg", "https://i.imgur.com/OtHeR12.jpg"),
    ("/OtHeR12.jpg", "https://i.imgur.com/OtHeR12.jpg"),
    ("OtHeR12.jpg", "https://i.imgur.com/dir/OtHeR12.jpg"),  # (a relative path: beside the file asked for)
    ("../OtHeR12.jpg", "https://i.imgur.com/OtHeR12.jpg"),
    ("../../../OtHeR12.jpg?x=1", "https://i.imgur.com/OtHeR12.jpg"),  # (never above the root)
    ("?size=h", "https://i.imgur.com/dir/AbCdEfG.jpg"),
    ("//evil.example/OtHeR12.jpg", "refused a media URL on another host (evil.example)"),
    ("http://evil.example/OtHeR12.jpg", "refused a non-HTTPS media URL (http scheme)"),
    ("javascript:alert(1)", "refused a non-HTTPS media URL (javascript scheme)"),
    ("https://[::1/x.jpg", "refused a malformed media URL")])
def test_a_redirect_s_location_is_resolved_against_the_file_asked_for_then_checked(location: str, target: str) -> None:
    assert _checked_or_why(redirect_target, "https://i.imgur.com/dir/AbCdEfG.jpg", location) == target
