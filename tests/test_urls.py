from crawler.core.urls import host_of, normalise_url, same_site


def test_tracking_parameters_and_fragments_are_dropped() -> None:
    url = "HTTP://Example.com:80/a/b/?utm_source=rss&b=2&a=1&fbclid=x#comments"
    assert normalise_url(url) == "http://example.com/a/b/?a=1&b=2"


def test_meaningful_parts_are_kept() -> None:
    assert normalise_url("http://127.0.0.1:8001/World/Story?id=3") == (
        "http://127.0.0.1:8001/World/Story?id=3"
    )
    assert normalise_url("http://127.0.0.1:8001") == "http://127.0.0.1:8001/"


def test_relative_urls_resolve_against_a_base() -> None:
    assert normalise_url("../x?utm_medium=feed", "http://h:1/a/b/c") == "http://h:1/a/x"


def test_host_identity_includes_the_port() -> None:
    assert host_of("http://127.0.0.1:8001/x") == "127.0.0.1:8001"
    assert same_site("http://127.0.0.1:8001/x", "127.0.0.1:8001")
    assert not same_site("http://127.0.0.1:8002/x", "127.0.0.1:8001")


def test_a_published_url_keeps_what_the_site_gave_but_the_fragment() -> None:
    from crawler.core.urls import published_url

    url = "http://Example.com/a/?utm_source=RSS_Feed&utm_medium=RSS#comments"
    assert published_url(url) == "http://Example.com/a/?utm_source=RSS_Feed&utm_medium=RSS"
    assert published_url("b?utm_medium=x", "http://h:1/a/") == "http://h:1/a/b?utm_medium=x"


def test_a_published_form_is_kept_only_when_it_is_not_the_normal_form() -> None:
    from crawler.core.urls import published_form
    from tests.storage.db.factories import T0

    form = published_form("http://h:1/a/?utm_source=x", T0)
    assert form is not None and (form.form, form.identity) == (
        "http://h:1/a/?utm_source=x",
        "http://h:1/a/",
    )
    assert published_form("http://h:1/a/", T0) is None
    assert published_form("http://[::1", T0) is None
