const tmp = 1;

function total(items) {
  let ⟦tmp⟧ = 0;
  for (const item of items) {
    ⟦tmp⟧ += item;
  }
  return ⟦t⟨cursor⟩mp⟧;
}

function other() {
  return tmp * 2;
}
