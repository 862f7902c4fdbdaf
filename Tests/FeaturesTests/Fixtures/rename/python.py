import os

count = 0


def total(items):
    ⟦t⟨cursor⟩mp⟧ = 0
    for item in items:
        ⟦tmp⟧ = ⟦tmp⟧ + item + count
    return ⟦tmp⟧


def other():
    tmp = os.sep
    return tmp
