" dlsp for Vim 8.2+/9 with the vim-lsp plugin (prabirshrestha/vim-lsp), and optionally asyncomplete.vim for a
" popup as you type. Source this file from your vimrc after the plugins are on 'runtimepath'.
" The binary is $DLSP_BIN when set, else `dlsp` on PATH.
" NOT exercised by the test suite: vim-lsp is not packaged in Debian 12 (dlsp-ale.vim is, with ALE).

let g:dlsp_command = empty($DLSP_BIN) ? 'dlsp' : $DLSP_BIN

augroup dlsp
  autocmd!
  autocmd User lsp_setup call lsp#register_server({
        \ 'name': 'dlsp',
        \ 'cmd': {server_info -> [g:dlsp_command]},
        \ 'root_uri': {server_info -> lsp#utils#path_to_uri(
        \     lsp#utils#find_nearest_parent_file_directory(lsp#utils#get_buffer_path(), '.git/'))},
        \ 'allowlist': ['python', 'c', 'cpp', 'javascript', 'typescript', 'rust', 'go', 'swift', 'java', 'ruby', 'sh'],
        \ 'initialization_options': {
        \     'model': {'threads': 2},
        \     'completion': {'enabled': v:true, 'steps': 32},
        \     'inlineCompletion': {'enabled': v:false},
        \ },
        \ })
  autocmd User lsp_buffer_enabled call s:on_lsp_buffer_enabled()
augroup END

function! s:on_lsp_buffer_enabled() abort
  " <C-x><C-o> asks the servers of this buffer, dlsp included.
  setlocal omnifunc=lsp#complete
  nmap <buffer> <leader>ca <plug>(lsp-code-action)
  nmap <buffer> <leader>rn <plug>(lsp-rename)
endfunction
