" dlsp for Vim 8.2+/9 with ALE (Debian: apt install vim-ale). Source this file from your vimrc; it loads ALE.
" The binary is $DLSP_BIN when set, else `dlsp` on PATH.
"
" What you get: completions in ALE's popup as you type (or <C-x><C-o>), :ALECodeAction, :ALERename.
" ALE keeps only the text of a completion item up to its first "(" (ale#completion#ParseLSPCompletions), so a
" dlsp suggestion such as `area(width, height)` is offered as `area`.

filetype plugin indent on                 " ALE picks linters by filetype
let g:ale_completion_enabled = 1          " must be set before ALE loads
set omnifunc=ale#completion#OmniFunc
packadd ale

function! s:dlsp_root(buffer) abort
  let l:git = ale#path#FindNearestDirectory(a:buffer, '.git')
  return empty(l:git) ? expand('#' . a:buffer . ':p:h') : fnamemodify(l:git, ':h:h')
endfunction

let s:filetypes = ['python', 'c', 'cpp', 'javascript', 'typescript', 'rust', 'go', 'swift', 'java', 'ruby', 'sh']
for s:filetype in s:filetypes
  call ale#linter#Define(s:filetype, {
        \ 'name': 'dlsp',
        \ 'lsp': 'stdio',
        \ 'executable': {buffer -> empty($DLSP_BIN) ? 'dlsp' : $DLSP_BIN},
        \ 'command': '%e',
        \ 'project_root': function('s:dlsp_root'),
        \ 'initialization_options': {
        \     'model': {'threads': 2},
        \     'completion': {'enabled': v:true, 'steps': 32},
        \     'inlineCompletion': {'enabled': v:false},
        \ },
        \ })
endfor

" ALE runs every linter of a filetype unless a list names them: g:ale_linters, or ALE's own default lists for a few
" filetypes (these are ALE 3.3's). Add dlsp to those lists, keeping what was there.
let g:ale_linters = get(g:, 'ale_linters', {})
let s:ale_defaults = {'python': ['flake8', 'mypy', 'pylint', 'pyright', 'ruff'],
      \ 'go': ['gofmt', 'golint', 'gopls', 'govet'], 'rust': ['cargo', 'rls']}
for s:filetype in s:filetypes
  let s:current = get(g:ale_linters, s:filetype, get(s:ale_defaults, s:filetype, 'all'))
  if type(s:current) == v:t_list && index(s:current, 'dlsp') < 0
    let g:ale_linters[s:filetype] = s:current + ['dlsp']
  endif
endfor
