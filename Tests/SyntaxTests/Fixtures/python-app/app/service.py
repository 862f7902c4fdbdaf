from app.models import User, make_user
from app.util import slugify


def register(name, email):
    user = make_user(name, email)
    handle = slugify(user.display_name())
    return handle
