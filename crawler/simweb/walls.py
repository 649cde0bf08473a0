"""Walls: what a publisher serves in place of an article it will not show a crawler this time.

A metered paywall keeps the article's page, head and metadata, but only its first paragraphs,
then a "Subscribe to continue reading" offer, marked up as Google documents for paywalled content
(JSON-LD `isAccessibleForFree: false` with a `hasPart` whose `cssSelector` is the offer). The
other walls replace the page whole: a consent-management interstitial in the markup of a real CMP
(OneTrust, Didomi, Quantcast Choice, Google Funding Choices), a login wall, and a Cloudflare-style
bot challenge ("Just a moment...", 403 or 503) or rate limit (429 with Retry-After). None of them
holds a word of the article, and none links anywhere: their buttons are buttons.

Which articles are walled in which rounds is wallplan.py's; this module only draws the walls.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from crawler.simweb.server import Resource
from crawler.simweb.templates import attr, esc, json_ld

WallKind = Literal["paywall", "consent", "login", "challenge"]
PAYWALL_SELECTOR = ".paywall"
"""The `cssSelector` of the paywalled part, as the JSON-LD names it."""
HTML = "text/html; charset=utf-8"
NO_STORE = ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate")


@dataclass(frozen=True, slots=True)
class Wall:
    """One wall, as one round serves it for one article."""

    kind: WallKind
    status: int = 200
    vendor: str = ""
    """consent: 'onetrust', 'didomi', 'quantcast' or 'funding-choices'; challenge: 'cloudflare'."""
    retry_after: int | None = None
    """Seconds, sent as Retry-After (the 429)."""
    keep: int = 1
    """paywall: the paragraphs left visible."""

    @property
    def standalone(self) -> bool:
        """Whether it replaces the whole page (all but the paywall, which keeps the page)."""
        return self.kind != "paywall"


def paywall_offer(site_name: str) -> str:
    """The offer that ends a paywalled article's body: the part `PAYWALL_SELECTOR` selects."""
    return (
        '<div class="paywall" id="paywall" data-paywall="metered">'
        '<div class="paywall__fade" aria-hidden="true"></div>'
        '<div class="paywall__offer" role="dialog" aria-labelledby="paywall-title">'
        '<h2 id="paywall-title">Subscribe to continue reading</h2>'
        "<p>You have read all of your free articles this month.</p>"
        f"<p>Get unlimited access to {esc(site_name)} for $1 a week. Cancel anytime.</p>"
        '<button type="button" class="paywall__cta">Subscribe now</button>'
        '<p class="paywall__login">Already a subscriber? '
        '<button type="button" class="paywall__signin">Log in</button></p></div></div>'
    )


def paywall_markup(headline: str, published: str, author: str, site_name: str) -> str:
    """JSON-LD for a paywalled article, for themes whose own metadata does not say it."""
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": headline,
            "datePublished": published,
            "author": {"@type": "Person", "name": author},
            "publisher": {"@type": "Organization", "name": site_name},
            **paywall_fields(),
        }
    )


def paywall_fields() -> dict[str, object]:
    """The two JSON-LD properties that say an article is paywalled, and where."""
    return {
        "isAccessibleForFree": False,
        "hasPart": {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": PAYWALL_SELECTOR,
        },
    }


def wall_page(wall: Wall, site_name: str, host: str, path: str) -> Resource:
    """A wall that replaces the page at `path` on `host`: no article text, no links."""
    if wall.kind == "consent":
        body, title = _CONSENT[wall.vendor](site_name), site_name
        return Resource(200, HTML, _document(title, body, _CONSENT_STYLE).encode(), (NO_STORE,))
    if wall.kind == "login":
        return Resource(200, HTML, _login(site_name).encode(), (NO_STORE,))
    if wall.kind == "challenge":
        return _challenge(wall, host, path)
    raise ValueError(f"a {wall.kind} is drawn on the article's own page, not alone")


# -- consent interstitials ---------------------------------------------------------------------

_PRIVACY = (
    "We and our partners store and/or access information on a device, such as cookies, and "
    "process personal data, such as unique identifiers and standard information sent by a device, "
    "for personalised advertising and content, advertising and content measurement, audience "
    "research and services development."
)
_CONSENT_STYLE = (
    "body{margin:0;font-family:Arial,sans-serif;background:rgba(0,0,0,.6)}"
    ".cmp{max-width:640px;margin:10vh auto;background:#fff;padding:24px;border-radius:8px}"
    "button{margin:8px 8px 0 0;padding:10px 18px;font-size:15px}"
)


def _onetrust(site: str) -> str:
    return f"""<div id="onetrust-consent-sdk"><div class="onetrust-pc-dark-filter"></div>
<div id="onetrust-banner-sdk" class="otCenterRounded cmp" role="dialog" aria-modal="true"
 aria-label="We value your privacy"><div id="onetrust-policy">
<h2 id="onetrust-policy-title">We value your privacy</h2>
<p id="onetrust-policy-text">{esc(_PRIVACY)} You may click to consent to {esc(site)}'s and our
partners' processing as described above, or to refuse consent.</p></div>
<div id="onetrust-button-group-parent"><div id="onetrust-button-group">
<button id="onetrust-pc-btn-handler" type="button">Cookie Settings</button>
<button id="onetrust-reject-all-handler" type="button">Reject All</button>
<button id="onetrust-accept-btn-handler" type="button">Accept All Cookies</button>
</div></div></div></div>"""


def _didomi(site: str) -> str:
    return f"""<div id="didomi-host" data-nosnippet="true" aria-hidden="false">
<div class="didomi-popup-backdrop didomi-notice-popup"><div class="didomi-popup-container cmp">
<div id="didomi-popup" class="didomi-popup-notice didomi-popup-notice-with-data-processing"
 role="dialog" aria-labelledby="didomi-notice-title">
<h1 id="didomi-notice-title" class="didomi-popup-notice-title">Welcome to {esc(site)}</h1>
<div class="didomi-popup-notice-text"><p>We value your privacy.</p><p>{esc(_PRIVACY)}</p>
<p>With your agreement, we and our 812 partners use cookies or similar technologies. You can
withdraw your consent at any time by clicking "Learn more".</p></div>
<div class="didomi-popup-notice-buttons">
<button id="didomi-notice-learn-more-button" type="button">Learn more</button>
<button id="didomi-notice-disagree-button" type="button">Disagree and close</button>
<button id="didomi-notice-agree-button" type="button">Agree and close</button>
</div></div></div></div></div>"""


def _quantcast(site: str) -> str:
    return f"""<div id="qc-cmp2-container" data-nosnippet=""><div id="qc-cmp2-main"
 class="qc-cmp2-main cmp" role="dialog" aria-modal="true"><div class="qc-cmp2-consent-info">
<div class="qc-cmp2-summary-section"><h2>We value your privacy</h2>
<div class="qc-cmp2-summary-info"><p>{esc(_PRIVACY)}</p>
<p>{esc(site)} and our partners may use precise geolocation data. Click to consent, or to
refuse consent, or access more detailed information.</p></div></div>
<div class="qc-cmp2-summary-buttons">
<button mode="secondary" size="large" type="button">MORE OPTIONS</button>
<button mode="secondary" size="large" type="button">DISAGREE</button>
<button mode="primary" size="large" type="button">AGREE</button>
</div></div></div></div>"""


def _funding_choices(site: str) -> str:
    return f"""<div class="fc-consent-root" dir="ltr"><div class="fc-dialog-overlay"></div>
<div class="fc-dialog-container"><div class="fc-dialog fc-choice-dialog cmp" role="dialog"
 aria-modal="true" aria-label="{attr(site)} asks for your consent to use your personal data">
<div class="fc-dialog-headline"><h1 class="fc-dialog-headline-text">{esc(site)} asks for your
consent to use your personal data to:</h1></div><div class="fc-dialog-content">
<div class="fc-stacks"><p class="fc-stack-name">Personalised advertising and content,
advertising and content measurement, audience research and services development</p>
<p class="fc-stack-name">Store and/or access information on a device</p></div>
<p class="fc-dialog-body">Your personal data will be processed and information from your device
(cookies, unique identifiers, and other device data) may be stored by, accessed by and shared with
134 TCF vendor(s) and 65 ad partner(s).</p></div><div class="fc-footer-buttons-container">
<div class="fc-footer-buttons"><button class="fc-button fc-cta-manage-options" type="button">
<p class="fc-button-label">Manage options</p></button>
<button class="fc-button fc-cta-do-not-consent fc-secondary-button" type="button">
<p class="fc-button-label">Do not consent</p></button>
<button class="fc-button fc-cta-consent fc-primary-button" type="button" aria-label="Consent">
<p class="fc-button-label">Consent</p></button></div></div></div></div></div>"""


_CONSENT = {
    "onetrust": _onetrust,
    "didomi": _didomi,
    "quantcast": _quantcast,
    "funding-choices": _funding_choices,
}
CONSENT_VENDORS = frozenset(_CONSENT)


# -- login wall --------------------------------------------------------------------------------


def _login(site: str) -> str:
    body = f"""<div class="login-wall" id="login-wall"><div class="login-wall__box">
<p class="login-wall__brand">{esc(site)}</p>
<h1 class="login-wall__title">Log in to continue reading</h1>
<p>Create a free account or log in to keep reading. It only takes a minute.</p>
<form class="login-wall__form" method="post" action="/account/login" autocomplete="on">
<label>Email address <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password"
 required></label>
<button type="submit">Log in</button></form>
<p class="login-wall__alt">New here? <button type="button">Create a free account</button></p>
</div></div>"""
    style = (
        "body{margin:0;font-family:Georgia,serif;background:#f3f0ea}"
        ".login-wall__box{max-width:420px;margin:12vh auto;padding:32px;background:#fff}"
        "label,input,button{display:block;width:100%;margin-top:10px}"
    )
    return _document(f"Log in | {site}", body, style, robots="noindex")


# -- bot challenges ----------------------------------------------------------------------------

_CHALLENGE_STYLE = (
    "*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;-webkit-text-size-adjust:"
    "100%;color:#313131;font-family:system-ui,-apple-system,Segoe UI,Roboto,Helvetica Neue,Arial,"
    "sans-serif}body{display:flex;flex-direction:column;height:100vh;min-height:100vh}"
    ".main-content{margin:8rem auto;max-width:60rem;padding-left:1.5rem}"
    ".h1{font-size:2.5rem;font-weight:500;line-height:3.75rem}.h2{font-size:1.5rem;"
    "font-weight:500;line-height:2.25rem}.footer{font-size:.75rem;padding:1rem}"
)


def _challenge(wall: Wall, host: str, path: str) -> Resource:
    ray = hashlib.blake2s(f"{path} {wall.status}".encode(), digest_size=8).hexdigest()
    headers: list[tuple[str, str]] = [
        NO_STORE,
        ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
        ("CF-RAY", f"{ray}-LIS"),
    ]
    if wall.retry_after is not None:
        headers.append(("Retry-After", str(wall.retry_after)))
    if wall.status == 429:
        title = f"Access denied | {host} used Cloudflare to restrict access"
        body = f"""<div class="main-wrapper" role="main"><div class="main-content">
<h1 class="h1"><span class="code-label">Error</span> 1015</h1>
<h2 class="h2" id="cf-error-details">You are being rate limited</h2>
<p>The owner of this website ({esc(host)}) has banned you temporarily from accessing this
website.</p></div></div>{_cloudflare_footer(ray)}"""
        page = _document(title, body, _CHALLENGE_STYLE)
        return Resource(429, HTML, page.encode(), tuple(headers))
    headers.append(("cf-mitigated", "challenge"))
    options = {
        "cvId": "3",
        "cZone": host,
        "cType": "managed",
        "cRay": ray,
        "cUPMDTk": f"{path}?__cf_chl_tk={ray}",
        "cFPWv": "b",
    }
    script = (
        f"(function(){{window._cf_chl_opt={json.dumps(options)};"
        "var cpo=document.createElement('script');"
        f"cpo.src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray={ray}';"
        "document.getElementsByTagName('head')[0].appendChild(cpo);}());"
    )
    body = f"""<div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{esc(host)}</h1>
<h2 class="h2" id="challenge-running">Verifying you are human. This may take a few seconds.</h2>
<div id="challenge-stage"></div>
<div id="challenge-body-text" class="core-msg spacer">{esc(host)} needs to review the security of
your connection before proceeding.</div>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to
continue</span></div></noscript></div></div><script>{script}</script>{_cloudflare_footer(ray)}"""
    page = _document("Just a moment...", body, _CHALLENGE_STYLE, robots="noindex,nofollow")
    return Resource(wall.status, HTML, page.encode(), tuple(headers))


def _cloudflare_footer(ray: str) -> str:
    return (
        '<div class="footer" role="contentinfo"><div class="footer-inner">'
        f'<div class="ray-id">Ray ID: <code>{ray}</code></div>'
        '<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare'
        "</div></div></div>"
    )


def _document(title: str, body: str, style: str, robots: str = "") -> str:
    meta = f'<meta name="robots" content="{robots}">' if robots else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{meta}<style>{style}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
