⟨unusedImport⟩import os
import sys
from typing import List


def compute():
    return len(sys.argv)


def f(values: List[int]):
    ⟨unusedVariable⟩unused = 42
    ⟨unusedVariable⟩kept = compute()
    total = 0
    total += 1
    total += 1
    label = "x"
    ⟨duplicate⟩label = "x"
    if total > 1:
        return total
        ⟨unreachable⟩print("never")
        total = 2
    return label
