import Foundation

/// Natural logarithm (a free function so files that only need `log` don't shadow Swift's own names).
@inline(__always) func Foundation_log(_ x: Double) -> Double { Foundation.log(x) }
