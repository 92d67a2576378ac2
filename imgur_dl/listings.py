"""What to ask the API for one page of a listing. Pure (but for the one question ``as_me`` may ask).

Every request is one a working client sends (docs/imgur-requests.md):
gallery-dl 1.32's ``ImgurAPI`` for the public listings and your own posts
and hidden albums, Imgur's API documentation for your own favorites and
images. Pages count from 0 here; the post/v1 listings count from 1 there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote

from imgur_dl.models import ME, Kind, Target

# What the post/v1 requests ask to include, as gallery-dl 1.32 asks (ImgurAPI.album, .image,
# .accounts_me_allposts; the request line recorded in gallery-dl #4249): "media" lists the files.
INCLUDE = "media,tags,account"


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    params: dict[str, str] | None = None  # a "client_id" key is filled in by the API client
    v1: bool = False  # a post/v1 answer: posts that come with their media


def mine(target: Target) -> bool:
    """Whether ``target`` names the account whose token is used ("me")."""
    return target.id == ME or target.id.startswith(ME + "/")


def needs_token(target: Target) -> bool:
    """Whether only the account's own access token can list ``target``."""
    return target.kind in (Kind.HIDDEN, Kind.IMAGES) or mine(target)


def as_me(target: Target, own_name: Callable[[], str | None]) -> Target:
    """``target`` with the user name of the token's own account written ``me``: its own endpoints then list it."""
    user = target.id.partition("/")[0]
    if user == ME or target.kind not in (Kind.USER, Kind.FAVORITES, Kind.FOLDER, Kind.IMAGES):
        return target
    own = own_name()
    if own is None or user.lower() != own.lower():
        return target
    return replace(target, id=ME + target.id[len(user):])


def request(target: Target, page: int) -> Request:
    """The request for page ``page`` (from 0) of ``target``."""
    name = quote(target.id, safe="")
    if target.kind is Kind.USER:
        if target.id == ME:  # gallery-dl 1.32 ImgurAPI.accounts_me_allposts (_pagination_v2)
            return _v1("/post/v1/accounts/me/all_posts", page)
        return Request(f"/3/account/{name}/submissions/{page}")
    if target.kind is Kind.HIDDEN:  # gallery-dl 1.32 ImgurAPI.accounts_me_hiddenalbums
        return _v1("/post/v1/accounts/me/hidden_albums", page)
    if target.kind is Kind.FAVORITES:
        if target.id == ME:  # API docs "Account Favorites": hidden ones too, for the logged-in user only
            return Request(f"/3/account/me/favorites/{page}/newest")
        return Request(f"/3/account/{name}/gallery_favorites/{page}")
    if target.kind is Kind.FOLDER:  # gallery-dl 1.32 ImgurAPI.account_favorites_folder (_pagination_v2)
        user, _, folder = target.id.partition("/")
        return Request(f"/3/account/{quote(user, safe='')}/folders/{folder}/favorites",
                       {"client_id": "", "page": str(page), "sort": "newest"})
    if target.kind is Kind.IMAGES:  # API docs "Account Images": every image of the logged-in user
        return Request(f"/3/account/me/images/{page}")
    if target.kind is Kind.TAG:
        return Request(f"/3/gallery/t/{name}/{page}")
    if target.kind is Kind.SUBREDDIT:
        return Request(f"/3/gallery/r/{name}/{page}")
    if target.kind is Kind.SEARCH:
        return Request(f"/3/gallery/search/{page}", {"q": target.id})
    raise ValueError(f"{target.kind} is not a listing")


def _v1(path: str, page: int) -> Request:
    return Request(path, {"include": INCLUDE, "page": str(page + 1), "sort": "-created_at", "client_id": ""},
                   v1=True)
