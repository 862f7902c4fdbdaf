import Foundation

func f(_ values: [Int]) -> Int {
    ⟨unusedVariable⟩let unused = 42
    let kept = values.count
    ⟨unusedVariable⟩let ignored = values.reversed()
    var total = 0
    total += 1
    total += 1
    var label = "x"
    label = "y"
    ⟨duplicate⟩label = "y"
    if kept > total {
        return total
        ⟨unreachable⟩print("never")
    }
    return total + label.count
}
