import ArgumentParser
import Foundation
import LanguageServer
import Logging

DLSP.main()
