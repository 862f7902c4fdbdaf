"""Data types of the sample application."""

DEFAULT_ROLE = "member"


class User:
    """A registered user."""

    kind = "user"

    def __init__(self, name, email, role=DEFAULT_ROLE):
        self.name = name
        self.email = email
        self.role = role

    def display_name(self):
        return f"{self.name} <{self.email}>"

    def is_admin(self):
        return self.role == "admin"


def make_user(name, email):
    return User(name, email)
