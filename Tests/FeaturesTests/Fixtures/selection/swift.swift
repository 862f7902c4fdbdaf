func add(_ a: Int, _ b: Int) -> Int {
    return a + b
}

func mul(_ a: Int, _ b: Int) -> Int {
⟨start⟩    return a * b
⟨end⟩}

print(add(1, 2), mul(2, 3))
