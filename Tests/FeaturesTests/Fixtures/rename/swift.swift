let limit = 10

func total(_ items: [Int]) -> Int {
    var ⟦tmp⟧ = 0
    for item in items {
        ⟦tmp⟧ += item
    }
    return min(⟦t⟨cursor⟩mp⟧, limit)
}

func other() -> String {
    let tmp = "elsewhere"
    return tmp
}
