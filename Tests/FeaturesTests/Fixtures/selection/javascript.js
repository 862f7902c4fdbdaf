function add(a, b) {
  return a + b;
}

function mul(a, b) {
⟨start⟩  return a * b;
⟨end⟩}

console.log(add(1, 2), mul(2, 3));
