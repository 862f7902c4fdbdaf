import os


def area(width, height):
    return width * height


def perimeter(width, height):
    return 2 * (width + height)


def describe(width, height):
    size = area(width, height)
    edge = perimeter(width, height)
    return f"{size} {edge}"


print(describe(3, 4))


def volume(width, height, depth):
    return 


print(volume(
