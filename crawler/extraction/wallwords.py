"""What walls say and how they are marked up: the vocabulary `crawler.extraction.access` reads.

Phrases are matched on *folded* text (`crawler.core.normalise.fold`: case- and accent-free, so
"Déjà abonné ?" is "deja abonne ?"), one visible line at a time; markup markers on the page's
lower-cased HTML. Each list is in English, German, French, Spanish, Portuguese and Italian (and
Dutch where the phrase is common); the wording is that of real sites and of the services' own
documentation (Cloudflare, DataDome, HUMAN/PerimeterX, Akamai, Imperva; OneTrust, Didomi,
Quantcast Choice, Sourcepoint, TrustArc, Usercentrics, Cookiebot, Google Funding Choices, the IAB
TCF API).

None of these decides alone: a phrase or a marker is evidence, and `access` weighs it against
how much of an article the page holds, since an open article may carry a consent banner, a
subscribe box or a captcha on its comment form.
"""

from __future__ import annotations

import re


def _phrases(*patterns: str) -> re.Pattern[str]:
    """One pattern matching any of `patterns`, each starting where a word starts. The boundary
    is tested once, before the alternatives: tested in each, it made the search 15 times
    slower, since every alternative was tried at every character."""
    return re.compile(rf"(?<!\w)(?:{'|'.join(patterns)})")


def first_marker(lowered: str, markers: tuple[str, ...]) -> str | None:
    """The first of `markers` (literal, lower-case) that `lowered` contains, if any. Substring
    tests, not a pattern: a page's HTML is long, and `in` scans it at memory speed."""
    return next((marker for marker in markers if marker in lowered), None)


PAYWALL_TEXT = _phrases(
    # English
    r"subscribe (?:now |today )?(?:to|and) (?:continue|keep) reading",
    r"subscribe (?:now )?to (?:read|unlock|access) (?:the full|the rest|this|more)",
    r"(?:to|and) (?:continue|keep) reading,? (?:please )?"
    r"(?:subscribe|become a (?:subscriber|member))",
    r"(?:this|the) (?:article|story|content|piece) is (?:only )?(?:available|exclusive|reserved)"
    r" (?:only )?(?:to|for) (?:paying |digital |premium )?(?:subscribers|members)",
    r"(?:for|to) (?:paying )?subscribers only",
    r"you(?:'ve| have) (?:read|reached|used) (?:all )?(?:of )?your (?:\d+ )?free"
    r" (?:articles|stories|reads)",
    r"you have reached your (?:free )?(?:article|monthly|story) limit",
    r"unlock (?:this|the full) (?:article|story)",
    r"the rest of this (?:article|story) is (?:for|reserved for|available to) subscribers",
    # German
    r"jetzt (?:abonnieren|abo abschliessen) und weiterlesen",
    r"(?:mit|als) (?:einem )?abo(?:nnement)? weiterlesen",
    r"(?:jetzt )?(?:weiterlesen|freischalten) mit \S+ ?(?:\+|plus)(?!\w)",
    r"(?:artikel|beitrag|inhalt|text) ist (?:nur |exklusiv )?fur (?:abonnenten|abonnentinnen"
    r"|abonnierende)",
    r"exklusiv fur (?:abonnenten|abonnentinnen|abonnierende)",
    # French
    r"il vous reste \d+ ?% de (?:cet|l') ?article a lire",
    r"la suite est reservee aux abonnes",
    r"(?:article|contenu) (?:est )?reserve aux abonnes",
    r"abonnez-vous pour (?:lire|continuer|acceder)",
    # Spanish
    r"suscribete (?:ahora )?para (?:seguir|continuar) leyendo",
    r"para (?:seguir|continuar) leyendo,? suscribete",
    r"(?:contenido|articulo) (?:es )?(?:exclusivo|solo) para suscriptores",
    r"has (?:alcanzado|llegado a) (?:el|tu) limite de (?:articulos|noticias)",
    # Portuguese
    r"assine (?:agora )?para (?:continuar|ler|seguir)",
    r"para (?:continuar|seguir) lendo,? assine",
    r"(?:conteudo|materia|reportagem|texto) (?:e )?exclusiv[oa] (?:para|de) assinantes",
    # Italian
    r"abbonati per (?:continuare|leggere|proseguire)",
    r"(?:contenuto|articolo) riservato agli abbonati",
    # Dutch
    r"(?:dit artikel|deze content) is (?:alleen|exclusief) voor abonnees",
)
"""A subscription offer in place of the rest of an article."""

SUBSCRIBER_PROMPT = _phrases(
    r"already an? (?:subscriber|member)\b",
    r"(?:sie sind|bereits|schon) abonnent(?:in)?\s*\?",
    r"deja abonne\s*\?",
    r"ya (?:eres|soy) suscriptor",
    r"ja (?:e|sou) assinante",
    r"(?:sei )?gia abbonato\s*\?",
    r"al (?:een )?abonnee\s*\?",
)
"""'Already a subscriber? Log in': beside an offer, but also in many sites' menus, so it only
supports a suspicion."""

LOGIN_TEXT = _phrases(
    # English
    r"(?:log|sign) in (?:now )?to (?:continue|keep) reading",
    r"(?:log|sign) in to (?:read|access|unlock|view) (?:the full|the rest|this|more)",
    r"create an? (?:free )?account (?:or (?:log|sign) in )?to (?:continue|keep|read)",
    r"create a free account or (?:log|sign) in",
    r"register (?:for free |now )?to (?:continue|keep|read)",
    r"(?:to|and) (?:continue|keep) reading,? (?:please )?(?:log|sign) in",
    r"(?:log|sign) in or (?:register|create an? (?:free )?account) to (?:continue|keep|read)",
    r"(?:article|story|content) is (?:only )?available (?:only )?to registered"
    r" (?:users|readers|members)",
    r"registered (?:users|readers) only",
    # German
    r"(?:kostenlos |jetzt )?registrieren (?:sie sich )?(?:und weiterlesen|um weiterzulesen)",
    r"melden sie sich an,? um (?:weiterzulesen"
    r"|(?:den|diesen) (?:artikel|beitrag) (?:weiter|vollstandig )?zu lesen)",
    r"anmelden und weiterlesen",
    r"fur registrierte (?:nutzer|leser|nutzerinnen)",
    # French
    r"connectez-vous pour (?:lire|continuer|acceder)",
    r"inscrivez-vous (?:gratuitement )?pour (?:lire|continuer|acceder)",
    r"creez (?:un|votre) compte (?:gratuit )?pour (?:lire|continuer)",
    # Spanish
    r"inicia sesion para (?:seguir|continuar) leyendo",
    r"registrate (?:gratis )?para (?:seguir|continuar) leyendo",
    # Portuguese
    r"faca (?:o )?login para (?:continuar|ler)",
    r"cadastre-se (?:gratuitamente |gratis )?para (?:continuar|ler)",
    # Italian
    r"accedi per (?:continuare|leggere)",
    r"registrati (?:gratuitamente )?per (?:continuare|leggere)",
)
"""A log-in or free-registration wall."""

CONSENT_LINE = _phrases(
    r"cookies?\b",
    r"consent",
    r"consentement",
    r"consentimiento",
    r"consentimento",
    r"consenso\b",
    r"einwilligung",
    r"zustimm",
    r"toestemming",
    r"privacy\b",
    r"vie privee",
    r"privacidad",
    r"privacidade",
    r"datenschutz",
    r"personal (?:data|information)",
    r"donnees (?:a caractere )?personnelles",
    r"datos personales",
    r"dados pessoais",
    r"dati personali",
    r"personenbezogen",
    r"legitimate interest",
    r"interet legitime",
    r"interes legitimo",
    r"berechtigte[sn]? interesse",
    r"(?:our|\d+) (?:ad |advertising )?partners",
    r"nos partenaires",
    r"nuestros socios",
    r"unsere partner",
    r"i nostri partner",
    r"nossos parceiros",
    r"store and/or access information",
    r"personali[sz]ed (?:ads|advertising|content)",
    r"tcf vendor",
)
"""A line of a consent notice (or about privacy: a notice is told by `CONSENT_NOTICE`)."""

CONSENT_BUTTON = re.compile(
    r"^(?:i )?(?:accept|agree|disagree|reject|refuse|decline|allow|deny|consent|do not consent)"
    r"(?: all| and close| all cookies| cookies)?$"
    r"|^(?:more|manage) options$|^(?:cookie |privacy )?settings$|^learn more$|^customi[sz]e$"
    r"|^(?:alle )?(?:akzeptieren|ablehnen|zustimmen)$|^einstellungen$"
    r"|^(?:tout )?(?:accepter|refuser)(?: et fermer)?$|^parametrer$"
    r"|^(?:aceptar|rechazar)(?: todo| todas)?$|^configurar$"
    r"|^(?:aceitar|rejeitar)(?: todos)?$|^(?:accetta|rifiuta)(?: tutto| tutti)?$"
    r"|^(?:alles )?(?:accepteren|weigeren)$"
)
"""The label of a consent dialog's button, as a line of its own."""

CONSENT_NOTICE = _phrases(
    r"we value your privacy",
    r"we care about your privacy",
    r"your privacy (?:is important|matters)",
    r"before you continue",
    r"(?:accept|reject|refuse) all",
    r"(?:click|tap) to consent",
    r"(?:refuse|withdraw) (?:your )?consent",
    r"asks for your consent",
    r"we and our (?:\d+ )?partners",
    r"this (?:site|website) uses cookies",
    r"we use cookies",
    r"manage (?:your )?(?:cookie |privacy )?(?:options|preferences|settings)",
    r"do not consent",
    r"wir (?:verwenden|nutzen) cookies",
    r"alle akzeptieren",
    r"datenschutzeinstellungen",
    r"nous respectons votre vie privee",
    r"nous (?:utilisons des cookies|et nos partenaires)",
    r"tout accepter",
    r"(?:utilizamos|usamos) cookies",
    r"aceptar (?:todo|todas)",
    r"valoramos tu privacidad",
    r"aceitar todos",
    r"utilizziamo (?:i )?cookie",
    r"accetta tutt[io]",
    r"wij gebruiken cookies",
    r"alles accepteren",
)
"""Words only a consent dialog says: what tells a notice from an article about privacy."""

CMP_MARKUP = {
    "OneTrust": ("onetrust-banner-sdk", "onetrust-consent-sdk", "optanon", "cdn.cookielaw.org"),
    "Didomi": ("didomi-host", "didomi-popup", "didomi-notice", "privacy-center.org", "didomi"),
    "Quantcast Choice": ("qc-cmp2", "quantcast.mgr.consensu.org", "cmp.quantcast.com"),
    "Sourcepoint": ("sp_message_container", "sp_message_iframe", "privacy-mgmt.com", "sourcepoint"),
    "TrustArc": ("trustarc", "truste_", "truste-consent", "teconsent"),
    "Usercentrics": ("usercentrics",),
    "Cookiebot": ("cybotcookiebot", "consent.cookiebot.com"),
    "Google Funding Choices": ("fc-consent-root", "fundingchoicesmessages.google.com"),
    "consentmanager": ("consentmanager.net", "cmpbox"),
    "IAB TCF": ("__tcfapi", "__cmp("),
}
"""Consent-management platforms, by the ids, classes and hosts of their own markup."""

CMP_DIALOG = (
    "onetrust-banner-sdk", "didomi-host", "didomi-popup", "qc-cmp2-container", "qc-cmp2-main",
    "sp_message_container", "fc-consent-root", "cybotcookiebotdialog", "usercentrics-root",
    "truste_box_overlay", "truste-consent", "cmpbox",
)  # fmt: skip
"""The dialog element itself (not a platform's script): what an interstitial whose notice is in
an iframe, with no text of its own, still shows."""

CHALLENGE_TITLE = re.compile(
    r"^(?:just a moment|one more step|checking your browser|attention required!?(?: \| cloudflare)?"
    r"|please wait\.* \| cloudflare|ddos-guard|access denied|access to this page has been denied"
    r"|pardon our interruption|are you a (?:robot|human)\??|robot check|security check"
    r"|human verification|verify(?:ing)? you are (?:a )?human|bot verification"
    r"|(?:sorry, )?you have been blocked|request unsuccessful|captcha(?: challenge)?"
    r"|you are being rate limited)"
)
"""The `<title>` of a challenge or block page (folded), from its start."""

CHALLENGE_MARKUP = {
    "Cloudflare challenge": (
        "_cf_chl_opt", "cf_chl_", "cf-chl-", "/orchestrate/chl_page", "/orchestrate/managed/",
        "/orchestrate/jsch/", "/orchestrate/captcha/", "cf-browser-verification",
        "challenge-form", "challenge-running", "challenge-stage",
    ),
    "DataDome": ("captcha-delivery.com",),
    "PerimeterX": ("px-captcha", "/captcha.js?a=c&u="),
    "Imperva": ("_incapsula_resource", "incapsula incident id"),
    "Akamai": ("/_sec/cp_challenge/", "sec-if-cpt-container", "errors.edgesuite.net"),
    "DDoS-Guard": ("ddos-guard",),
    "Sucuri": ("sucuri website firewall",),
}  # fmt: skip
"""Bot-management services, by the markup of their challenge and block pages (never by the
sensor scripts they add to every page, such as Cloudflare's `challenge-platform/scripts`)."""

CLOUDFLARE_ERROR_PAGE = ("cf-error-details", "cf-error-code", 'id="cf-wrapper"')
"""Cloudflare's error page: a block (1020), a rate limit (1015), but also an origin that is down
(502, 522): a challenge only with a status or words that say so."""

CHALLENGE_TEXT = _phrases(
    r"checking (?:if the site connection is secure|your browser)",
    r"verify(?:ing)? (?:that )?you are (?:a )?human",
    r"needs to review the security of your connection",
    r"enable javascript and cookies to continue",
    r"press (?:&|and) hold",
    r"complete the security check",
    r"unusual traffic from your (?:computer )?network",
    r"(?:i'?m|i am) not a robot",
    r"you (?:are being|have been) rate limited",
    r"you have been blocked",
    r"why have i been blocked",
    r"access to this page has been denied",
    r"you don'?t have permission to access",
)
"""What challenge and block pages tell the visitor (folded)."""

CAPTCHA_WIDGET = (
    "g-recaptcha", "h-captcha", "cf-turnstile", "google.com/recaptcha/api", "recaptcha/api2",
    "hcaptcha.com/1/api", "challenges.cloudflare.com/turnstile", "geetest", "arkoselabs",
    "funcaptcha",
)  # fmt: skip
"""A captcha widget: on a comment form it means nothing, on a page with nothing else a lot."""

CHALLENGE_STATUS = frozenset({403, 429, 503})
"""The statuses challenge and block pages come with."""

LOGIN_PATH = re.compile(
    r"/(?:login|log-in|signin|sign-in|register|registration|account/login|anmelden|connexion"
    r"|acceso|entrar|accedi)(?:[/?.]|$)"
)
"""The path of a log-in page, where a wall may redirect an article's URL."""

PAYWALL_PATH = re.compile(
    r"/(?:subscribe|subscription|abo|abonnement|suscripcion|assinatura)(?:[/?.]|$)"
)
"""The path of a subscription offer, where a paywall may redirect an article's URL."""
