def add(a, b):
    return a + b


def mul(a, b):
⟨start⟩    return a * b
⟨end⟩

print(add(1, 2), mul(2, 3))
