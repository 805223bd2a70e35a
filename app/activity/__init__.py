"""History of every object: who changed what, before and after; also the change feed."""


def init_app(app):
    """Templates put history and notifications into words with `readable(rows)`, and a
    conflict's theirs-against-mine with `compared(conflict)`."""
    from .labels import compare, present

    app.jinja_env.globals.update(readable=present, compared=compare)
