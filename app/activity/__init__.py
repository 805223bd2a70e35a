"""History of every object: who changed what, before and after; also the change feed."""


def init_app(app):
    """Templates put history and notifications into words with `readable(rows)`."""
    from .labels import present

    app.jinja_env.globals.update(readable=present)
