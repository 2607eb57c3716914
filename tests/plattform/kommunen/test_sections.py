"""Other domains can add sections to the Kommune page without the kommunen domain importing them."""

from plattform.kommunen.sections import SECTIONS, register_kommune_section


def test_registered_section_is_rendered_and_hidden_when_context_is_none(client, demo_region, app, tmp_path):
    template = "test_section.html"
    app.jinja_loader.searchpath.append(str(tmp_path))
    (tmp_path / template).write_text("<section><p>Abschnitt für {{ section.name }}</p></section>")
    register_kommune_section(template, lambda k: {"name": k.name} if k.ags == "05358028" else None, 99)
    try:
        assert "Abschnitt für Kreuzau" in client.get("/kommunen/05358028").text
        assert "Abschnitt für" not in client.get("/kommunen/05358004").text
    finally:
        SECTIONS[:] = [s for s in SECTIONS if s.template != template]
